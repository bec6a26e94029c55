// Generates the ACL from the one list of commands (`src/command_names.rs`): each command gets an
// `allow-<command>` permission, and the capability file granting them (and nothing else but
// `OTHER_PERMISSIONS`) to the main window is written from the same list, so only listed commands can
// be called from the window.
fn main() {
    let capability = zoufang_app_commands::capability();
    let path = std::path::Path::new("capabilities/main.json");
    if std::fs::read_to_string(path).ok().as_deref() != Some(capability.as_str()) {
        std::fs::write(path, capability).expect("write capabilities/main.json");
    }
    println!("cargo:rerun-if-changed=src/command_names.rs");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(zoufang_app_commands::COMMANDS)),
    )
    .expect("tauri build");
}

#[path = "src/command_names.rs"]
mod zoufang_app_commands;

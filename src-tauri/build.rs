// Generates the ACL: each command below gets an `allow-<command>` permission, and only the ones the
// capability file grants can be called from the window.
fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(zoufang_app_commands::COMMANDS)),
    )
    .expect("tauri build");
}

#[path = "src/command_names.rs"]
mod zoufang_app_commands;

//! The crates' dependencies point the way the README's layout says, and stay so: each crate may depend
//! only on the project crates listed for it here. The device side never reaches the server; the server
//! reaches the store only for the office reports (it runs the store's own report queries on a
//! device-schema mirror of its log, so every figure is computed by one piece of code) and the demo
//! crate only for `admin seed-demo`. Read from the manifests, so a new edge fails here first.

use std::collections::BTreeSet;
use std::path::Path;

/// Each crate (by directory) and the project crates it may use in `[dependencies]`.
const ALLOWED: &[(&str, &[&str])] = &[
    ("crates/model", &[]),
    ("crates/media", &[]),
    ("crates/migrate", &[]),
    ("crates/vault", &[]),
    ("crates/sync", &["model"]),
    ("crates/demo", &["model", "sync", "media"]),
    ("crates/store", &["model", "sync", "media", "vault", "migrate"]),
    ("crates/office", &["model", "store"]),
    ("crates/client", &["model", "sync", "store", "media", "vault"]),
    ("crates/server", &["model", "sync", "store", "media", "vault", "migrate", "demo"]),
    ("crates/cli", &["model", "sync", "store", "client", "media", "vault", "office"]),
    ("src-tauri", &["model", "sync", "store", "client", "media", "vault", "office"]),
];

/// The `zoufang-*` names under `[dependencies]` of a manifest (not dev- or build-dependencies).
fn project_dependencies(manifest: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(manifest).unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
    let mut in_deps = false;
    let mut out = BTreeSet::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
        } else if in_deps {
            if let Some(name) = line.strip_prefix("zoufang-") {
                let end = name.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(name.len());
                out.insert(name[..end].to_string());
            }
        }
    }
    out
}

#[test]
fn dependencies_point_the_documented_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    for (dir, allowed) in ALLOWED {
        let found = project_dependencies(&root.join(dir).join("Cargo.toml"));
        let extra: Vec<&String> = found.iter().filter(|d| !allowed.contains(&d.as_str())).collect();
        assert!(extra.is_empty(), "{dir} depends on {extra:?}, which the layering does not allow");
    }
    // Every crate of the workspace is in the table (bench and the scenario tests may use anything).
    let listed: BTreeSet<&str> = ALLOWED.iter().map(|(d, _)| *d).collect();
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let dir = format!("crates/{}", entry.unwrap().file_name().to_string_lossy());
        assert!(listed.contains(dir.as_str()) || dir == "crates/bench", "{dir} is not in the layering table");
    }
    assert!(project_dependencies(&root.join("crates/store/Cargo.toml")).contains("migrate"), "the parser reads");
}

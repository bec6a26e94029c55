/// Every command the window may call. `build.rs` makes an `allow-<name>` permission of each; the
/// capability file grants them to the main window; a test checks the three lists agree.
pub const COMMANDS: &[&str] = &[
    "lock_state",
    "lock_now",
    "unlock",
    "app_info",
    "enrol",
    "set_operator",
    "village_overview",
    "households",
    "household_detail",
    "create_record",
    "update_record",
    "record_visit",
    "income_summary",
    "check_in",
    "presence_month",
    "problems",
    "close_problem",
    "record_exit_decision",
    "dashboard",
    "import_roster",
    "export_report",
    "export_file_name",
    "save_rejections",
    "conflicts",
    "resolve_conflict",
    "sync_status",
    "sync_now",
    "archive_status",
    "create_document",
    "import_photo",
    "photo_data",
    "photos_of",
    "sealing_status",
    "record_inspection",
    "seal_inspection_photo",
    "inspection_photo_data",
    "inspections",
    "inspection_coverage",
    "open_inspection",
    "rectify_inspection",
    "check_backup_passphrase",
    "sealing_key_generate",
    "sealing_key_import",
    "sealing_key_backup",
    "clear_key_backups",
    "protect_key_backups",
    "read_offer_text",
    "read_offer_image",
    "issue_enrolment_code",
];

#[cfg(test)]
mod tests {
    /// The capability grants exactly the commands, and `lib.rs` registers each of them.
    #[test]
    fn capability_and_handler_list_every_command() {
        let cap: serde_json::Value = serde_json::from_str(include_str!("../capabilities/main.json")).expect("json");
        let granted: Vec<String> = cap["permissions"]
            .as_array()
            .expect("permissions")
            .iter()
            .filter_map(|p| p.as_str())
            .filter_map(|p| p.strip_prefix("allow-"))
            .map(|p| p.replace('-', "_"))
            .collect();
        let mut expected: Vec<String> = super::COMMANDS.iter().map(|c| c.to_string()).collect();
        let mut granted_sorted = granted.clone();
        granted_sorted.sort();
        expected.sort();
        assert_eq!(granted_sorted, expected);
        let lib = include_str!("lib.rs");
        for c in super::COMMANDS {
            assert!(lib.contains(&format!("commands::{c},")), "{c} is not registered in lib.rs");
        }
    }
}

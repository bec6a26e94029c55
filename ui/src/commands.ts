// Generated from the app's command functions by src-tauri/src/command_types.rs. Do not edit by hand.
// Regenerate: ZOUFANG_UPDATE_BINDINGS=1 cargo test -p zoufang-app bindings

import type { AppInfo, ArchiveStatus, ConflictView, Dashboard, EnrolmentOffer, Helper, HelperReport, HelpersLinked, HistoryResponse, HouseholdDetail, HouseholdQuery, HouseholdSummary, ImportResult, IncomeCalc, IncomeSummary, InspectionCoverage, InspectionFindings, InspectionLine, InspectionPhoto, IssuedCode, JsonValue, KeyBackup, LockState, NewDocument, NewExitDecision, NewHelper, NewMemberChange, NewStatusChange, NewVillageDocument, NewVisit, PhotoImported, PhotoView, PresenceMonth, ProblemItem, RecheckPlan, RectificationAction, Role, SealingStatus, SettingView, SyncStatus, VillageArchiveStatus, VillageOverview } from './bindings'

/** Each command's arguments as the window sends them: named in camelCase, `null` for none, bytes for
 * a raw request body. */
export interface CommandArgs {
  lock_state: null
  lock_now: null
  unlock: { secret: string }
  app_info: null
  enrol: { serverUrl: string, code: string, deviceName: string, login: string | null, password: string | null, pin: string | null }
  set_operator: { name: string }
  village_overview: { village: string }
  households: { query: HouseholdQuery }
  household_detail: { id: string }
  create_record: { kind: string, fields: { [key in string]?: JsonValue } }
  update_record: { kind: string, id: string, patch: { [key in string]?: JsonValue } }
  record_visit: { visit: NewVisit }
  income_summary: { calc: IncomeCalc }
  check_in: { village: string, lat: number | null, lon: number | null }
  presence_month: { village: string, year: number, month: number }
  problems: { village: string, openOnly: boolean }
  review_problem: { id: string, action: RectificationAction, note: string | null }
  recheck_plan: null
  county_settings: null
  set_setting: { key: string, value: number }
  record_exit_decision: { decision: NewExitDecision }
  record_status_change: { change: NewStatusChange }
  record_member_change: { change: NewMemberChange }
  household_history: { id: string }
  dashboard: null
  import_roster: Uint8Array
  export_report: { kind: string, path: string }
  export_file_name: { kind: string }
  publicity_file_name: { village: string, pdf: boolean }
  export_publicity: { village: string, path: string }
  save_rejections: { path: string, fullIds: boolean }
  conflicts: { openOnly: boolean }
  resolve_conflict: { id: string, value: JsonValue }
  sync_status: null
  sync_now: null
  archive_status: { household: string }
  create_document: { document: NewDocument }
  village_archive: { village: string }
  create_village_document: { document: NewVillageDocument }
  helpers: { village: string | null }
  helper_report: { village: string | null }
  add_helper: { helper: NewHelper }
  assign_helper: { household: string, helper: string | null }
  link_helpers: { village: string | null }
  import_photo: Uint8Array
  photo_data: { hash: string, full: boolean }
  photos_of: { owner: string }
  sealing_status: null
  record_inspection: { household: string, inspectedOn: string, findings: InspectionFindings }
  seal_inspection_photo: Uint8Array
  inspection_photo_data: { hash: string }
  inspections: null
  inspection_coverage: null
  open_inspection: { id: string }
  rectify_inspection: { id: string, deadline: string, responsible: string | null }
  check_backup_passphrase: { passphrase: string, again: string }
  sealing_key_generate: { passphrase: string, again: string, path: string }
  sealing_key_backup: { passphrase: string, again: string, path: string }
  sealing_key_import: { path: string, passphrase: string }
  clear_key_backups: null
  protect_key_backups: { passphrase: string, again: string }
  read_offer_text: { text: string }
  read_offer_image: Uint8Array
  issue_enrolment_code: { scope: string, role: Role, deviceName: string, ttlHours: number }
}

/** What each command returns. */
export interface CommandResult {
  lock_state: LockState
  lock_now: LockState
  unlock: AppInfo
  app_info: AppInfo
  enrol: AppInfo
  set_operator: string
  village_overview: VillageOverview
  households: Array<HouseholdSummary>
  household_detail: HouseholdDetail
  create_record: string
  update_record: number
  record_visit: string
  income_summary: IncomeSummary
  check_in: PresenceMonth
  presence_month: PresenceMonth
  problems: Array<ProblemItem>
  review_problem: null
  recheck_plan: RecheckPlan
  county_settings: Array<SettingView>
  set_setting: Array<SettingView>
  record_exit_decision: HouseholdDetail
  record_status_change: HouseholdDetail
  record_member_change: HouseholdDetail
  household_history: HistoryResponse
  dashboard: Dashboard
  import_roster: ImportResult
  export_report: string
  export_file_name: string
  publicity_file_name: string
  export_publicity: string
  save_rejections: string
  conflicts: Array<ConflictView>
  resolve_conflict: null
  sync_status: SyncStatus
  sync_now: null
  archive_status: ArchiveStatus
  create_document: string
  village_archive: VillageArchiveStatus
  create_village_document: string
  helpers: Array<Helper>
  helper_report: HelperReport
  add_helper: Array<Helper>
  assign_helper: HouseholdDetail
  link_helpers: HelpersLinked
  import_photo: PhotoImported
  photo_data: string
  photos_of: Array<PhotoView>
  sealing_status: SealingStatus
  record_inspection: string
  seal_inspection_photo: InspectionPhoto
  inspection_photo_data: string
  inspections: Array<InspectionLine>
  inspection_coverage: InspectionCoverage
  open_inspection: InspectionFindings
  rectify_inspection: number
  check_backup_passphrase: null
  sealing_key_generate: KeyBackup
  sealing_key_backup: KeyBackup
  sealing_key_import: SealingStatus
  clear_key_backups: Array<string>
  protect_key_backups: Array<string>
  read_offer_text: EnrolmentOffer
  read_offer_image: EnrolmentOffer
  issue_enrolment_code: IssuedCode
}

/** Every command the app's window may invoke (src-tauri/src/command_names.rs). */
export type Command = keyof CommandArgs

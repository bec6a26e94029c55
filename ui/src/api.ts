// Typed wrappers over the app's commands. Argument and result types come from bindings.ts, which is
// generated from the Rust types; nothing here restates a business rule.
import { invoke } from '@tauri-apps/api/core'
import { listen, type UnlistenFn } from '@tauri-apps/api/event'
import type {
  ArchiveStatus, NewDocument, NewHelper, NewVillageDocument, PhotoImported, PhotoTarget, PhotoView,
  AppInfo, CmdError, EnrolmentOffer, IssuedCode, LockState, Role, InspectionCoverage, InspectionFindings, InspectionLine, InspectionPhoto, KeyBackup, SealingStatus, ConflictView, Dashboard, ImportProgress, ImportResult, HouseholdDetail, HouseholdQuery, HouseholdSummary, IncomeCalc,
  IncomeSummary, JsonValue, NewExitDecision, NewMemberChange, NewStatusChange, NewVisit, PresenceMonth, RectificationAction, SyncStatus, VillageOverview,
} from './bindings'
import type { Command, CommandArgs, CommandResult } from './commands'

/** A command's failure: its stable code (what the UI decides on), the Chinese message (for display only)
 * and, when one field is at fault, its name. */
export class ApiError extends Error {
  code: string
  field: string | null
  constructor(e: CmdError) {
    super(e.message)
    this.code = e.code
    this.field = e.field
  }
}

export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e
  if (e && typeof e === 'object' && 'message' in e) {
    const o = e as { code?: unknown; message: unknown; field?: unknown }
    return new ApiError({
      code: typeof o.code === 'string' ? o.code : 'unknown',
      message: String(o.message),
      field: typeof o.field === 'string' ? o.field : null,
    })
  }
  return new ApiError({ code: 'unknown', message: typeof e === 'string' ? e : '操作失败，请重试', field: null })
}

/** What `call` takes after the command's name: nothing for a command without arguments, else its
 * arguments (or body bytes) and, for a body, headers. */
type CallArgs<K extends Command> = CommandArgs[K] extends null ? [] : [args: CommandArgs[K], headers?: Record<string, string>]

/** Invokes a command with the argument and result types generated from its Rust function (commands.ts). */
async function call<K extends Command>(cmd: K, ...rest: CallArgs<K>): Promise<CommandResult[K]> {
  const [args, headers] = rest as unknown as [Record<string, unknown> | Uint8Array | undefined, Record<string, string> | undefined]
  try {
    return await invoke<CommandResult[K]>(cmd, args ?? undefined, headers ? { headers } : undefined)
  } catch (e) {
    throw toApiError(e)
  }
}

export type RecordKind = 'household' | 'member' | 'handbook_entry' | 'rectification' | 'village' | 'helper'
export type Fields = { [k: string]: JsonValue }

export const api = {
  lockState: () => call('lock_state'),
  lockNow: () => call('lock_now'),
  unlock: (secret: string) => call('unlock', { secret }),
  appInfo: () => call('app_info'),
  enrol: (serverUrl: string, code: string, deviceName: string, login?: string, password?: string, pin?: string | null) =>
    call('enrol', { serverUrl, code, deviceName, login: login ?? null, password: password ?? null, pin: pin ?? null }),
  readOfferText: (text: string) => call('read_offer_text', { text }),
  readOfferImage: (bytes: Uint8Array) => call('read_offer_image', bytes),
  issueEnrolmentCode: (scope: string, role: Role, deviceName: string, ttlHours: number) =>
    call('issue_enrolment_code', { scope, role, deviceName, ttlHours }),
  setOperator: (name: string) => call('set_operator', { name }),
  villageOverview: (village: string) => call('village_overview', { village }),
  households: (query: HouseholdQuery) => call('households', { query }),
  householdDetail: (id: string) => call('household_detail', { id }),
  createRecord: (kind: RecordKind, fields: Fields) => call('create_record', { kind, fields }),
  updateRecord: (kind: RecordKind, id: string, patch: Fields) => call('update_record', { kind, id, patch }),
  recordVisit: (visit: NewVisit) => call('record_visit', { visit }),
  incomeSummary: (calc: IncomeCalc) => call('income_summary', { calc }),
  checkIn: (village: string, lat: number | null, lon: number | null) =>
    call('check_in', { village, lat, lon }),
  presenceMonth: (village: string, year: number, month: number) =>
    call('presence_month', { village, year, month }),
  problems: (village: string, openOnly: boolean) => call('problems', { village, openOnly }),
  reviewProblem: (id: string, action: RectificationAction, note: string | null) =>
    call('review_problem', { id, action, note }),
  recheckPlan: () => call('recheck_plan'),
  countySettings: () => call('county_settings'),
  setSetting: (key: string, value: number) => call('set_setting', { key, value }),
  recordStatusChange: (change: NewStatusChange) => call('record_status_change', { change }),
  recordMemberChange: (change: NewMemberChange) => call('record_member_change', { change }),
  householdHistory: (id: string) => call('household_history', { id }),
  recordExitDecision: (decision: NewExitDecision) => call('record_exit_decision', { decision }),
  dashboard: () => call('dashboard'),
  importRoster: (fileName: string, bytes: Uint8Array) =>
    call('import_roster', bytes, { 'x-file-name': encodeURIComponent(fileName) }),
  onImportProgress: (f: (p: ImportProgress) => void): Promise<UnlistenFn> => listen<ImportProgress>('import-progress', (e) => f(e.payload)),
  exportFileName: (kind: 'monthly' | 'ledger' | 'rejections') => call('export_file_name', { kind }),
  exportReport: (kind: 'monthly' | 'ledger', path: string) => call('export_report', { kind, path }),
  publicityFileName: (village: string, pdf: boolean) => call('publicity_file_name', { village, pdf }),
  exportPublicity: (village: string, path: string) => call('export_publicity', { village, path }),
  saveRejections: (path: string, fullIds: boolean) => call('save_rejections', { path, fullIds }),
  conflicts: (openOnly: boolean) => call('conflicts', { openOnly }),
  resolveConflict: (id: string, value: JsonValue) => call('resolve_conflict', { id, value }),
  archiveStatus: (household: string) => call('archive_status', { household }),
  createDocument: (document: NewDocument) => call('create_document', { document }),
  villageArchive: (village: string) => call('village_archive', { village }),
  createVillageDocument: (document: NewVillageDocument) => call('create_village_document', { document }),
  helpers: (village: string | null) => call('helpers', { village }),
  helperReport: (village: string | null) => call('helper_report', { village }),
  addHelper: (helper: NewHelper) => call('add_helper', { helper }),
  assignHelper: (household: string, helper: string | null) => call('assign_helper', { household, helper }),
  linkHelpers: (village: string | null) => call('link_helpers', { village }),
  importPhoto: (target: PhotoTarget, bytes: Uint8Array) =>
    call('import_photo', bytes, { 'x-target-kind': target.kind, 'x-target-id': target.id }),
  photoData: (hash: string, full: boolean) => call('photo_data', { hash, full }),
  photosOf: (owner: string) => call('photos_of', { owner }),
  sealingStatus: () => call('sealing_status'),
  recordInspection: (household: string, inspectedOn: string, findings: InspectionFindings) =>
    call('record_inspection', { household, inspectedOn, findings }),
  sealInspectionPhoto: (bytes: Uint8Array) => call('seal_inspection_photo', bytes),
  inspectionPhotoData: (hash: string) => call('inspection_photo_data', { hash }),
  inspections: () => call('inspections'),
  inspectionCoverage: () => call('inspection_coverage'),
  openInspection: (id: string) => call('open_inspection', { id }),
  rectifyInspection: (id: string, deadline: string, responsible: string | null) =>
    call('rectify_inspection', { id, deadline, responsible }),
  checkBackupPassphrase: (passphrase: string, again: string) => call('check_backup_passphrase', { passphrase, again }),
  sealingKeyGenerate: (passphrase: string, again: string, path: string) =>
    call('sealing_key_generate', { passphrase, again, path }),
  sealingKeyBackup: (passphrase: string, again: string, path: string) =>
    call('sealing_key_backup', { passphrase, again, path }),
  sealingKeyImport: (path: string, passphrase: string) => call('sealing_key_import', { path, passphrase }),
  clearKeyBackups: () => call('clear_key_backups'),
  protectKeyBackups: (passphrase: string, again: string) => call('protect_key_backups', { passphrase, again }),
  syncStatus: () => call('sync_status'),
  syncNow: () => call('sync_now'),
  onSyncStatus: (f: (s: SyncStatus) => void): Promise<UnlistenFn> => listen<SyncStatus>('sync-status', (e) => f(e.payload)),
}

// Typed wrappers over the app's commands. Argument and result types come from bindings.ts, which is
// generated from the Rust types; nothing here restates a business rule.
import { invoke } from '@tauri-apps/api/core'
import { listen, type UnlistenFn } from '@tauri-apps/api/event'
import type {
  ArchiveStatus, NewDocument, PhotoImported, PhotoTarget, PhotoView,
  AppInfo, CmdError, Command, EnrolmentOffer, IssuedCode, LockState, Role, InspectionCoverage, InspectionFindings, InspectionLine, InspectionPhoto, KeyBackup, SealingStatus, ConflictView, Dashboard, ImportProgress, ImportResult, HouseholdDetail, HouseholdQuery, HouseholdSummary, IncomeCalc,
  IncomeSummary, JsonValue, NewExitDecision, NewVisit, PresenceMonth, ProblemItem, SyncStatus, VillageOverview,
} from './bindings'

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

async function call<T>(cmd: Command, args?: Record<string, unknown> | Uint8Array, headers?: Record<string, string>): Promise<T> {
  try {
    return await invoke<T>(cmd, args, headers ? { headers } : undefined)
  } catch (e) {
    throw toApiError(e)
  }
}

export type RecordKind = 'household' | 'member' | 'handbook_entry' | 'rectification'
export type Fields = { [k: string]: JsonValue }

export const api = {
  lockState: () => call<LockState>('lock_state'),
  lockNow: () => call<LockState>('lock_now'),
  unlock: (secret: string) => call<AppInfo>('unlock', { secret }),
  appInfo: () => call<AppInfo>('app_info'),
  enrol: (serverUrl: string, code: string, deviceName: string, login?: string, password?: string, pin?: string | null) =>
    call<AppInfo>('enrol', { serverUrl, code, deviceName, login: login ?? null, password: password ?? null, pin: pin ?? null }),
  readOfferText: (text: string) => call<EnrolmentOffer>('read_offer_text', { text }),
  readOfferImage: (bytes: Uint8Array) => call<EnrolmentOffer>('read_offer_image', bytes),
  issueEnrolmentCode: (scope: string, role: Role, deviceName: string, ttlHours: number) =>
    call<IssuedCode>('issue_enrolment_code', { scope, role, deviceName, ttlHours }),
  setOperator: (name: string) => call<string>('set_operator', { name }),
  villageOverview: (village: string) => call<VillageOverview>('village_overview', { village }),
  households: (query: HouseholdQuery) => call<HouseholdSummary[]>('households', { query }),
  householdDetail: (id: string) => call<HouseholdDetail>('household_detail', { id }),
  createRecord: (kind: RecordKind, fields: Fields) => call<string>('create_record', { kind, fields }),
  updateRecord: (kind: RecordKind, id: string, patch: Fields) => call<number>('update_record', { kind, id, patch }),
  recordVisit: (visit: NewVisit) => call<string>('record_visit', { visit }),
  incomeSummary: (calc: IncomeCalc) => call<IncomeSummary>('income_summary', { calc }),
  checkIn: (village: string, lat: number | null, lon: number | null) =>
    call<PresenceMonth>('check_in', { village, lat, lon }),
  presenceMonth: (village: string, year: number, month: number) =>
    call<PresenceMonth>('presence_month', { village, year, month }),
  problems: (village: string, openOnly: boolean) => call<ProblemItem[]>('problems', { village, openOnly }),
  closeProblem: (id: string, evidence: string) => call<null>('close_problem', { id, evidence }),
  recordExitDecision: (decision: NewExitDecision) => call<HouseholdDetail>('record_exit_decision', { decision }),
  dashboard: () => call<Dashboard>('dashboard'),
  importRoster: (fileName: string, bytes: Uint8Array) =>
    call<ImportResult>('import_roster', bytes, { 'x-file-name': encodeURIComponent(fileName) }),
  onImportProgress: (f: (p: ImportProgress) => void): Promise<UnlistenFn> => listen<ImportProgress>('import-progress', (e) => f(e.payload)),
  exportFileName: (kind: 'monthly' | 'ledger' | 'rejections') => call<string>('export_file_name', { kind }),
  exportReport: (kind: 'monthly' | 'ledger', path: string) => call<string>('export_report', { kind, path }),
  saveRejections: (path: string, fullIds: boolean) => call<string>('save_rejections', { path, fullIds }),
  conflicts: (openOnly: boolean) => call<ConflictView[]>('conflicts', { openOnly }),
  resolveConflict: (id: string, value: JsonValue) => call<null>('resolve_conflict', { id, value }),
  archiveStatus: (household: string) => call<ArchiveStatus>('archive_status', { household }),
  createDocument: (document: NewDocument) => call<string>('create_document', { document }),
  importPhoto: (target: PhotoTarget, bytes: Uint8Array) =>
    call<PhotoImported>('import_photo', bytes, { 'x-target-kind': target.kind, 'x-target-id': target.id }),
  photoData: (hash: string, full: boolean) => call<string>('photo_data', { hash, full }),
  photosOf: (owner: string) => call<PhotoView[]>('photos_of', { owner }),
  sealingStatus: () => call<SealingStatus>('sealing_status'),
  recordInspection: (household: string, inspectedOn: string, findings: InspectionFindings) =>
    call<string>('record_inspection', { household, inspectedOn, findings }),
  sealInspectionPhoto: (bytes: Uint8Array) => call<InspectionPhoto>('seal_inspection_photo', bytes),
  inspectionPhotoData: (hash: string) => call<string>('inspection_photo_data', { hash }),
  inspections: () => call<InspectionLine[]>('inspections'),
  inspectionCoverage: () => call<InspectionCoverage>('inspection_coverage'),
  openInspection: (id: string) => call<InspectionFindings>('open_inspection', { id }),
  rectifyInspection: (id: string, deadline: string, responsible: string | null) =>
    call<number>('rectify_inspection', { id, deadline, responsible }),
  checkBackupPassphrase: (passphrase: string, again: string) => call<null>('check_backup_passphrase', { passphrase, again }),
  sealingKeyGenerate: (passphrase: string, again: string, path: string) =>
    call<KeyBackup>('sealing_key_generate', { passphrase, again, path }),
  sealingKeyBackup: (passphrase: string, again: string, path: string) =>
    call<KeyBackup>('sealing_key_backup', { passphrase, again, path }),
  sealingKeyImport: (path: string, passphrase: string) => call<SealingStatus>('sealing_key_import', { path, passphrase }),
  clearKeyBackups: () => call<string[]>('clear_key_backups'),
  protectKeyBackups: (passphrase: string, again: string) => call<string[]>('protect_key_backups', { passphrase, again }),
  syncStatus: () => call<SyncStatus>('sync_status'),
  syncNow: () => call<null>('sync_now'),
  onSyncStatus: (f: (s: SyncStatus) => void): Promise<UnlistenFn> => listen<SyncStatus>('sync-status', (e) => f(e.payload)),
}

// Form helpers: turning what people type into the values the store takes, and store errors into
// messages at the right field. Validation rules themselves live in Rust (zoufang-model).
import { ApiError } from './api'
import { FIELD_SPECS, type FieldSpec } from './bindings'

export type FieldErrors = Record<string, string>

/** Amounts are typed in yuan (e.g. 1234.5) and stored as integer fen. */
export function parseYuan(raw: string): { fen: number } | { error: string } {
  const t = raw.trim().replace(/[,，\s]/g, '')
  if (t === '') return { fen: 0 }
  if (t.startsWith('-')) return { error: '金额不能为负数' }
  if (!/^\d+(\.\d{0,2})?$/.test(t)) return { error: '请输入金额，如 1200 或 1200.50，最多两位小数' }
  const [whole, frac = ''] = t.split('.')
  const fen = Number(whole) * 100 + Number((frac + '00').slice(0, 2))
  if (!Number.isSafeInteger(fen) || fen > 10_000_000_000) return { error: '金额过大，不能超过一亿元' }
  return { fen }
}

/** 123456 fen → "1234.56". */
export function fenToYuan(fen: number | null | undefined): string {
  if (fen === null || fen === undefined) return '—'
  const sign = fen < 0 ? '-' : ''
  const a = Math.abs(fen)
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`
}

/** Whole numbers typed into a field (人口, 家庭人口). */
export function parseCount(raw: string, min: number, max: number): { value: number | null } | { error: string } {
  const t = raw.trim()
  if (t === '') return { value: null }
  if (!/^\d+$/.test(t)) return { error: '请输入整数' }
  const n = Number(t)
  if (n < min || n > max) return { error: `应在 ${min} 到 ${max} 之间` }
  return { value: n }
}

/** Puts a command's error at its field, or under `_form` when no field is named. */
export function errorsFrom(e: unknown, prefix = ''): FieldErrors {
  const err = e instanceof ApiError ? e : new ApiError({ code: 'unknown', message: String((e as Error)?.message ?? e), field: null })
  const field = err.field ? (prefix && err.field.startsWith(prefix) ? err.field.slice(prefix.length) : err.field) : '_form'
  return { [field]: err.message }
}

/** Today as YYYY-MM-DD in local time. */
export function todayIso(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

/** Days between two YYYY-MM-DD dates (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(b + 'T00:00:00Z') - Date.parse(a + 'T00:00:00Z')) / 86_400_000)
}

/** Characters as people count them (a Chinese character is one). */
export function charCount(s: string): number {
  return [...s].length
}

/** 身份证号 with the middle hidden, for lists. */
export function maskId(id: string | null | undefined): string {
  if (!id) return ''
  return id.length === 18 ? `${id.slice(0, 6)}********${id.slice(14)}` : id
}

/** Optional text: empty becomes null (the store clears the field). */
export function optText(s: string | null | undefined): string | null {
  const t = (s ?? '').trim()
  return t === '' ? null : t
}

/** The specs of some fields of a record kind, in the order given: input, required, vocabulary and
 * bounds come from the Rust schema table (bindings.ts), never restated here. */
export function fieldSpecs(kind: string, names: string[]): FieldSpec[] {
  return names.map((n) => {
    const spec = FIELD_SPECS[kind]?.[n]
    if (!spec) throw new Error(`${kind}.${n} is not a field a form may enter`)
    return spec
  })
}

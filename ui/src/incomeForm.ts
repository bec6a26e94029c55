// The income calculation form: amounts typed in yuan, sent as fen.
import type { IncomeCalc } from './bindings'
import { parseCount, parseYuan, type FieldErrors } from './forms'

export const INCOME_ITEMS = [
  { key: 'wage_fen', label: '工资性收入' },
  { key: 'business_fen', label: '生产经营性收入' },
  { key: 'property_fen', label: '财产性收入' },
  { key: 'transfer_fen', label: '转移性收入（养老金、低保、补贴等）' },
  { key: 'production_cost_fen', label: '生产经营性支出（扣除）' },
] as const

export type IncomeKey = (typeof INCOME_ITEMS)[number]['key']
export type IncomeFormState = { year: string; household_size: string } & Record<IncomeKey, string>

export function emptyIncome(year: number, size: number): IncomeFormState {
  return { year: String(year), household_size: size ? String(size) : '', wage_fen: '', business_fen: '', property_fen: '', transfer_fen: '', production_cost_fen: '' }
}

/** The calculation, or the errors by field. */
export function toIncomeCalc(f: IncomeFormState): { calc: IncomeCalc } | { errors: FieldErrors } {
  const errors: FieldErrors = {}
  const year = parseCount(f.year, 2013, 2035)
  if ('error' in year) errors.year = `测算年度${year.error}`
  else if (year.value === null) errors.year = '必填，不能为空'
  const size = parseCount(f.household_size, 1, 30)
  if ('error' in size) errors.household_size = `家庭人口${size.error}`
  else if (size.value === null) errors.household_size = '必填，不能为空'
  const amounts = {} as Record<IncomeKey, number>
  for (const it of INCOME_ITEMS) {
    const r = parseYuan(f[it.key])
    if ('error' in r) errors[it.key] = r.error
    else amounts[it.key] = r.fen
  }
  if (Object.keys(errors).length) return { errors }
  return {
    calc: {
      year: (year as { value: number }).value,
      household_size: (size as { value: number }).value,
      ...amounts,
    },
  }
}

import { describe, expect, it } from 'vitest'
import { emptyIncome, toIncomeCalc } from '../src/incomeForm'

describe('income form', () => {
  it('builds the calculation in fen', () => {
    const f = emptyIncome(2025, 4)
    f.wage_fen = '12000'
    f.transfer_fen = '3600.5'
    f.production_cost_fen = '800'
    expect(toIncomeCalc(f)).toEqual({
      calc: { year: 2025, household_size: 4, wage_fen: 1200000, business_fen: 0, property_fen: 0, transfer_fen: 360050, production_cost_fen: 80000 },
    })
  })
  it('refuses negative amounts, an empty household and an impossible year', () => {
    const f = emptyIncome(2025, 0)
    f.wage_fen = '-100'
    f.year = '1999'
    const r = toIncomeCalc(f)
    expect(r).toEqual({
      errors: { year: '测算年度应在 2013 到 2035 之间', household_size: '必填，不能为空', wage_fen: '金额不能为负数' },
    })
  })
})

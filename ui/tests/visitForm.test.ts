import { describe, expect, it } from 'vitest'
import { checkVisit, emptyVisit, toNewVisit } from '../src/visitForm'

const today = '2026-11-22'

describe('visit form', () => {
  it('a fresh form is valid and becomes a NewVisit with every item met', () => {
    const f = emptyVisit(today, '李娟')
    expect(checkVisit(f, today)).toEqual({})
    const v = toNewVisit('h1', f)
    expect(v.basic_needs.housing).toEqual({ state: 'met' })
    expect(v.visited_on).toBe(today)
    expect(v.problems).toEqual([])
    expect(v.notes).toBeNull()
  })
  it('says at the field what is wrong', () => {
    const f = emptyVisit(today, ' ')
    f.visited_on = '2026-11-23'
    f.needs.housing = { state: 'unmet', note: '' }
    f.notes = '记'.repeat(10_000)
    f.actual_population = '-2'
    f.problems.push({ problem: '', deadline: '2026-12-01', responsible: '' })
    const e = checkVisit(f, today)
    expect(e.visited_on).toBe('日期不能晚于今天')
    expect(e.visitor).toBe('必填，不能为空')
    expect(e['basic_needs.housing']).toBe('「住房安全有保障」未达标，请写明具体问题')
    expect(e.notes).toBe('太长：最多 5000 个字，实际 10000 个字')
    expect(e.actual_population).toBe('请输入整数')
    expect(e['problems.0.problem']).toBe('请写明问题')
  })
  it('keeps notes of unmet items and drops empty problem rows', () => {
    const f = emptyVisit(today, '李娟')
    f.needs.water = { state: 'unmet', note: ' 自来水未通 ' }
    f.problems.push({ problem: '', deadline: '', responsible: '' }, { problem: '厨房漏雨', deadline: '', responsible: '王强' })
    const v = toNewVisit('h1', f)
    expect(v.basic_needs.water).toEqual({ state: 'unmet', note: '自来水未通' })
    expect(v.problems).toEqual([{ problem: '厨房漏雨', deadline: null, responsible: '王强' }])
  })
})

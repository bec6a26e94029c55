import { describe, expect, it } from 'vitest'
import { checkInspection, emptyInspection, toFindings } from '../src/inspectForm'

const today = '2026-11-22'

describe('暗访 form', () => {
  it('a fresh form is valid and seals a checklist with every item met, nothing asked', () => {
    const f = emptyInspection(today)
    expect(checkInspection(f, today)).toEqual({})
    expect(toFindings(f)).toEqual({
      basic_needs: {
        food: { state: 'met' }, clothing: { state: 'met' }, education: { state: 'met' },
        medical: { state: 'met' }, housing: { state: 'met' }, water: { state: 'met' },
      },
      satisfaction: null,
      knows_helper: null,
      notes: null,
      problems: [],
      photos: [],
    })
  })
  it('says at the field what is wrong', () => {
    const f = emptyInspection(today)
    f.inspected_on = '2026-11-23'
    f.needs.water = { state: 'unmet', note: ' ' }
    f.notes = '记'.repeat(5001)
    f.problems = ['帮扶手册与实际不符', '  ']
    const e = checkInspection(f, today)
    expect(e.inspected_on).toBe('日期不能晚于今天')
    expect(e['basic_needs.water']).toBe('「饮水安全有保障」未达标，请写明具体问题')
    expect(e.notes).toBe('太长：最多 5000 个字，实际 5001 个字')
    expect(e['problems.1']).toBe('必填，不能为空')
    expect(e['problems.0']).toBeUndefined()
    expect(e.photos).toBeUndefined()
    f.photos = Array.from({ length: 21 }, (_, i) => ({
      hash: i.toString(16).padStart(64, '0'), width: 10, height: 10, bytes: 100, taken_at: null, lat: null, lon: null,
    }))
    expect(checkInspection(f, today).photos).toBe('太多：最多 20 项，实际 21 项')
  })
  it('keeps the answers as the model wants them', () => {
    const f = emptyInspection(today)
    f.needs.housing = { state: 'unmet', note: ' 墙体开裂 ' }
    f.satisfaction = 'dissatisfied'
    f.knows_helper = 'no'
    f.problems = [' 手册未更新 ']
    const s = toFindings(f)
    expect(s.basic_needs.housing).toEqual({ state: 'unmet', note: '墙体开裂' })
    expect(s.satisfaction).toBe('dissatisfied')
    expect(s.knows_helper).toBe(false)
    expect(s.problems).toEqual(['手册未更新'])
    const shot = { hash: 'a'.repeat(64), width: 2400, height: 1800, bytes: 300000, taken_at: '2026-11-03T10:12:00', lat: 26.58, lon: 106.71 }
    f.photos = [shot]
    expect(toFindings(f).photos).toEqual([shot])
  })
})

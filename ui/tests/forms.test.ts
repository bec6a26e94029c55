import { describe, expect, it } from 'vitest'
import { ApiError, toApiError } from '../src/api'
import { charCount, daysBetween, errorsFrom, fenToYuan, fieldSpecs, maskId, parseCount, parseYuan } from '../src/forms'

describe('parseYuan', () => {
  it('turns yuan into integer fen', () => {
    expect(parseYuan('1200')).toEqual({ fen: 120000 })
    expect(parseYuan('1200.5')).toEqual({ fen: 120050 })
    expect(parseYuan(' 1,234.56 ')).toEqual({ fen: 123456 })
    expect(parseYuan('')).toEqual({ fen: 0 })
  })
  it('refuses negative, malformed and huge amounts in Chinese', () => {
    expect(parseYuan('-5')).toEqual({ error: '金额不能为负数' })
    expect(parseYuan('12.345')).toHaveProperty('error')
    expect(parseYuan('abc')).toHaveProperty('error')
    expect(parseYuan('1e5')).toHaveProperty('error')
    expect(parseYuan('200000000')).toEqual({ error: '金额过大，不能超过一亿元' })
  })
  it('round-trips through fenToYuan', () => {
    for (const s of ['0.00', '1.05', '4000.00', '123456.78']) {
      const r = parseYuan(s)
      expect('fen' in r && fenToYuan(r.fen)).toBe(s)
    }
    expect(fenToYuan(-150)).toBe('-1.50')
    expect(fenToYuan(null)).toBe('—')
  })
})

describe('parseCount', () => {
  it('bounds whole numbers', () => {
    expect(parseCount('4', 1, 30)).toEqual({ value: 4 })
    expect(parseCount('', 1, 30)).toEqual({ value: null })
    expect(parseCount('0', 1, 30)).toEqual({ error: '应在 1 到 30 之间' })
    expect(parseCount('2.5', 1, 30)).toEqual({ error: '请输入整数' })
    expect(parseCount('-1', 0, 30)).toEqual({ error: '请输入整数' })
  })
})

describe('errorsFrom', () => {
  it('puts a field error at its field and others under _form', () => {
    expect(errorsFrom(new ApiError({ code: 'invalid', message: '身份证号校验位错误：应为 X，实际为 1', field: 'id_number' }))).toEqual({
      id_number: '身份证号校验位错误：应为 X，实际为 1',
    })
    expect(errorsFrom(new ApiError({ code: 'unreachable', message: '无法连接服务器', field: null }))).toEqual({ _form: '无法连接服务器' })
    expect(errorsFrom(new ApiError({ code: 'invalid', message: 'x', field: 'problems.0.deadline' }), 'problems.')).toEqual({ '0.deadline': 'x' })
  })
  it('accepts what Tauri rejects with', () => {
    expect(toApiError({ message: '日期不能晚于今天', field: 'visited_on' }).field).toBe('visited_on')
    expect(toApiError({ code: 'wiped', message: '本机已被停用', field: null }).code).toBe('wiped')
    expect(toApiError({ message: 'no code' }).code).toBe('unknown')
    expect(toApiError('failed').message).toBe('failed')
    expect(toApiError(undefined).message).toBe('操作失败，请重试')
  })
})

describe('small helpers', () => {
  it('masks ID numbers, counts characters and days', () => {
    expect(maskId('52262419800101001X')).toBe('522624********001X')
    expect(maskId(null)).toBe('')
    expect(charCount('两不愁三保障')).toBe(6)
    expect(daysBetween('2026-03-04', '2026-03-10')).toBe(6)
  })
})

describe('fieldSpecs', () => {
  it('takes input, required, vocabulary and bounds from the Rust schema table', () => {
    const [name, population, attribute, causes, notes] = fieldSpecs('household', [
      'head_name', 'registered_population', 'attribute', 'poverty_causes', 'notes',
    ])
    expect(name).toMatchObject({ name: 'head_name', type: 'text', required: true })
    expect(population).toMatchObject({ type: 'int', required: false, min: 1, max: 30 })
    expect(attribute).toMatchObject({ type: 'enum', vocab: 'Attribute', required: true })
    expect(causes).toMatchObject({ type: 'enumset', vocab: 'PovertyCause' })
    expect(notes).toMatchObject({ type: 'textarea', maxLength: 5000 })
    expect(fieldSpecs('member', ['education'])[0]).toMatchObject({ type: 'enum', vocab: 'Education' })
  })

  it('refuses a field a form may not enter', () => {
    expect(() => fieldSpecs('household', ['no_such_field'])).toThrow(/no_such_field/)
    expect(() => fieldSpecs('conflict', ['entity'])).toThrow() // the server writes it
  })
})

// The visit form's state and the checks that need nothing but the form (the rest is the store's).
import { LABELS, type BasicNeed, type BasicNeeds, type NeedState, type NewVisit, type VisitKind } from './bindings'
import { charCount, optText, parseCount, type FieldErrors } from './forms'

export const NEEDS = Object.keys(LABELS.BasicNeed) as BasicNeed[]

/** The 两不愁三保障 checklist as a form edits it (visits and 暗访 alike). */
export type NeedsForm = Record<BasicNeed, { state: NeedState; note: string }>

export function emptyNeeds(): NeedsForm {
  const needs = {} as NeedsForm
  for (const n of NEEDS) needs[n] = { state: 'met', note: '' }
  return needs
}

/** The checklist's own checks, into `e` under `basic_needs.<item>`; messages match the model's. */
export function checkNeeds(needs: NeedsForm, e: FieldErrors) {
  for (const n of NEEDS) {
    const c = needs[n]
    if (c.state === 'unmet' && !c.note.trim()) e[`basic_needs.${n}`] = `「${LABELS.BasicNeed[n]}」未达标，请写明具体问题`
    if (charCount(c.note) > 500) e[`basic_needs.${n}`] = `「${LABELS.BasicNeed[n]}」说明最多 500 字`
  }
}

export function toBasicNeeds(needs: NeedsForm): BasicNeeds {
  const out = {} as BasicNeeds
  for (const n of NEEDS) {
    const c = needs[n]
    out[n] = c.note.trim() ? { state: c.state, note: c.note.trim() } : { state: c.state }
  }
  return out
}

export type VisitFormState = {
  kind: VisitKind
  visited_on: string
  visitor: string
  /** The register's 帮扶责任人 who made the visit, when it was the household's helper. */
  helper_id: string | null
  needs: NeedsForm
  satisfaction: string
  actual_population: string
  notes: string
  lat: number | null
  lon: number | null
  problems: { problem: string; deadline: string; responsible: string }[]
}

export function emptyVisit(today: string, visitor: string): VisitFormState {
  return {
    kind: 'routine', visited_on: today, visitor, helper_id: null, needs: emptyNeeds(), satisfaction: 'satisfied',
    actual_population: '', notes: '', lat: null, lon: null, problems: [],
  }
}

/** Checks made before sending; messages match the store's. Returns errors by field. */
export function checkVisit(f: VisitFormState, today: string): FieldErrors {
  const e: FieldErrors = {}
  if (!f.visited_on) e.visited_on = '必填，不能为空'
  else if (f.visited_on > today) e.visited_on = '日期不能晚于今天'
  if (!f.visitor.trim()) e.visitor = '必填，不能为空'
  checkNeeds(f.needs, e)
  const pop = parseCount(f.actual_population, 0, 30)
  if ('error' in pop) e.actual_population = pop.error
  const n = charCount(f.notes)
  if (n > 5000) e.notes = `太长：最多 5000 个字，实际 ${n} 个字`
  f.problems.forEach((p, i) => {
    if (!p.problem.trim() && (p.deadline || p.responsible.trim())) e[`problems.${i}.problem`] = '请写明问题'
  })
  return e
}

/** The command's argument. */
export function toNewVisit(householdId: string, f: VisitFormState): NewVisit {
  const basic_needs = toBasicNeeds(f.needs)
  const pop = parseCount(f.actual_population, 0, 30)
  return {
    household_id: householdId,
    kind: f.kind,
    visited_on: f.visited_on,
    visitor: f.visitor,
    helper_id: f.helper_id,
    basic_needs,
    satisfaction: optText(f.satisfaction),
    actual_population: 'value' in pop ? pop.value : null,
    notes: optText(f.notes),
    lat: f.lat,
    lon: f.lon,
    problems: f.problems
      .filter((p) => p.problem.trim() || p.deadline || p.responsible.trim())
      .map((p) => ({ problem: p.problem, deadline: optText(p.deadline), responsible: optText(p.responsible) })),
  }
}

// The 暗访 form's state and the checks that need nothing but the form (the model checks again before
// sealing: once sealed, no one but the county office can look inside).
import type { InspectionFindings } from './bindings'
import { charCount, optText, type FieldErrors } from './forms'
import { checkNeeds, emptyNeeds, toBasicNeeds, type NeedsForm } from './visitForm'

export type InspectFormState = {
  inspected_on: string
  needs: NeedsForm
  satisfaction: string
  /** '' not asked, 'yes' / 'no'. */
  knows_helper: '' | 'yes' | 'no'
  notes: string
  problems: string[]
}

export function emptyInspection(today: string): InspectFormState {
  return { inspected_on: today, needs: emptyNeeds(), satisfaction: '', knows_helper: '', notes: '', problems: [] }
}

/** Checks made before sealing; messages match the model's. Returns errors by field. */
export function checkInspection(f: InspectFormState, today: string): FieldErrors {
  const e: FieldErrors = {}
  if (!f.inspected_on) e.inspected_on = '必填，不能为空'
  else if (f.inspected_on > today) e.inspected_on = '日期不能晚于今天'
  checkNeeds(f.needs, e)
  const n = charCount(f.notes)
  if (n > 5000) e.notes = `太长：最多 5000 个字，实际 ${n} 个字`
  f.problems.forEach((p, i) => {
    if (!p.trim()) e[`problems.${i}`] = '必填，不能为空'
    else if (charCount(p) > 2000) e[`problems.${i}`] = `太长：最多 2000 个字，实际 ${charCount(p)} 个字`
  })
  return e
}

/** What is sealed. */
export function toFindings(f: InspectFormState): InspectionFindings {
  return {
    basic_needs: toBasicNeeds(f.needs),
    satisfaction: (optText(f.satisfaction) as InspectionFindings['satisfaction']) ?? null,
    knows_helper: f.knows_helper === '' ? null : f.knows_helper === 'yes',
    notes: optText(f.notes),
    problems: f.problems.map((p) => p.trim()),
  }
}

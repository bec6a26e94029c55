// The 暗访 form's state and the checks that need nothing but the form (the model checks again before
// sealing: once sealed, no one but the county office can look inside).
import type { InspectionFindings, InspectionPhoto } from './bindings'
import { charCount, optText, type FieldErrors } from './forms'
import { checkNeeds, emptyNeeds, toBasicNeeds, type NeedsForm } from './visitForm'

/** Most photos one inspection carries (the model's INSPECTION_PHOTOS_MAX). */
export const MAX_PHOTOS = 20

export type InspectFormState = {
  inspected_on: string
  needs: NeedsForm
  satisfaction: string
  /** '' not asked, 'yes' / 'no'. */
  knows_helper: '' | 'yes' | 'no'
  notes: string
  problems: string[]
  /** Photos already sealed on this device (the images themselves are not kept in clear). */
  photos: InspectionPhoto[]
}

export function emptyInspection(today: string): InspectFormState {
  return { inspected_on: today, needs: emptyNeeds(), satisfaction: '', knows_helper: '', notes: '', problems: [], photos: [] }
}

/** Checks made before sealing; messages match the model's. Returns errors by field. */
export function checkInspection(f: InspectFormState, today: string): FieldErrors {
  const e: FieldErrors = {}
  if (!f.inspected_on) e.inspected_on = '必填，不能为空'
  else if (f.inspected_on > today) e.inspected_on = '日期不能晚于今天'
  checkNeeds(f.needs, e)
  const n = charCount(f.notes)
  if (n > 5000) e.notes = `太长：最多 5000 个字，实际 ${n} 个字`
  if (f.photos.length > MAX_PHOTOS) e.photos = `太多：最多 ${MAX_PHOTOS} 项，实际 ${f.photos.length} 项`
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
    photos: [...f.photos],
  }
}

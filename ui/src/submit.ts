// A form's save: clears the old errors, shows the button busy, and puts a failure at its field.
import { ref } from 'vue'
import { errorsFrom, type FieldErrors } from './forms'

export function useSubmit() {
  const errors = ref<FieldErrors>({})
  const busy = ref(false)
  /** Runs `action`; on failure its error lands in `errors` (at the named field, or `_form`). */
  async function submit(action: () => Promise<void>): Promise<boolean> {
    errors.value = {}
    busy.value = true
    try {
      await action()
      return true
    } catch (e) {
      errors.value = errorsFrom(e)
      return false
    } finally {
      busy.value = false
    }
  }
  return { errors, busy, submit }
}

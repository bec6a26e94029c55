// What every screen shares: the device's enrolment, the operator, the chosen village, sync status.
import { reactive } from 'vue'
import { api } from './api'
import type { AppInfo, SyncStatus, Village } from './bindings'

export const session = reactive({
  info: null as AppInfo | null,
  village: null as Village | null,
  sync: null as SyncStatus | null,
  /** Bumped after each sync so lists reload what other devices changed. */
  dataVersion: 0,
})

export async function loadSession() {
  session.info = await api.appInfo()
  const saved = localStorage.getItem('zoufang.village')
  const vs = session.info.villages
  session.village = vs.find((v) => v.id === saved) ?? vs[0] ?? null
}

export function chooseVillage(v: Village) {
  session.village = v
  localStorage.setItem('zoufang.village', v.id)
}

export async function refreshSync() {
  session.sync = await api.syncStatus()
}

export function watchSync() {
  let wasRunning = false
  return api.onSyncStatus(async (s) => {
    await refreshSync().catch(() => (session.sync = s))
    if (wasRunning && !s.running && !s.last_error) {
      session.dataVersion++
      if (session.info && session.info.villages.length === 0) await loadSession()
    }
    // A revoked device erases itself during sync: back to the enrolment screen, which says why.
    if (wasRunning && !s.running && s.last_error && session.info?.enrolled) {
      const info = await api.appInfo()
      if (!info.enrolled) await loadSession()
    }
    wasRunning = s.running
  })
}

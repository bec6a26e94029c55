// Where files leave the device: the platform's save and open dialogs (Tauri's dialog plugin). Files with
// personal data are written only where the person chose, after a warning; the app keeps no copy.
import { open, save } from '@tauri-apps/plugin-dialog'
import { showConfirmDialog } from 'vant'

/** The save dialog's title (the end-to-end test finds the platform's dialog by it). */
export const SAVE_TITLE = '选择保存位置'

const PERSONAL =
  '文件含农户个人信息（姓名、身份证号、收入等）。请只保存到单位配发的存储设备或电脑上，不要通过微信、QQ 传送，用完及时删除。本机不保留副本。'

/** Asks where to save `defaultName` (after the personal-data warning); null when the person cancels. */
export async function chooseSavePath(defaultName: string, kind: 'xlsx' | 'pdf' | 'zfkey', warning = PERSONAL): Promise<string | null> {
  try {
    await showConfirmDialog({ title: '保存到本机以外', message: warning, confirmButtonText: '选择保存位置' })
  } catch {
    return null
  }
  const filters = {
    xlsx: [{ name: 'Excel 工作簿', extensions: ['xlsx'] }],
    pdf: [{ name: 'PDF 文件（可直接打印）', extensions: ['pdf'] }],
    zfkey: [{ name: '私钥备份', extensions: ['zfkey'] }],
  }[kind]
  return await save({ title: SAVE_TITLE, defaultPath: defaultName, filters })
}

/** Asks for a private-key backup file to open; null when the person cancels. */
export async function chooseKeyBackup(): Promise<string | null> {
  const picked = await open({ title: '选择私钥备份文件', multiple: false, directory: false, filters: [{ name: '私钥备份', extensions: ['zfkey', 'txt'] }] })
  return typeof picked === 'string' ? picked : null
}

export const KEY_WARNING =
  '私钥备份能打开全县所有暗访记录。备份文件已用您设置的备份口令加密；请保存到单位保管的 U 盘等离线介质，备份口令另行妥善保管。'

// Files from a camera or file input, taken one at a time: how the photo screens (一户一档, evidence,
// 暗访) read what the user picked.

/** The files chosen in the input behind `ev`; the input is cleared so the same file can be chosen again. */
export function takePicked(ev: Event): File[] {
  const input = ev.target as HTMLInputElement
  const files = Array.from(input.files ?? [])
  input.value = ''
  return files
}

/**
 * Hands each file's bytes to `each` in turn. Returns one line per file that was refused
 * ("名称：原因"), and any note `each` returned for a file it took.
 */
export async function eachFile(files: File[], each: (bytes: Uint8Array, file: File) => Promise<string | void>): Promise<string[]> {
  const notes: string[] = []
  for (const f of files) {
    try {
      const note = await each(new Uint8Array(await f.arrayBuffer()), f)
      if (note) notes.push(`${f.name}：${note}`)
    } catch (e) {
      notes.push(`${f.name}：${(e as Error).message}`)
    }
  }
  return notes
}

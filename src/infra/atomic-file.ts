import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** fsync of a directory, so that a file created or renamed in it survives a crash. */
export async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, 'r')
  try {
    await directory.sync()
  } finally {
    await directory.close()
  }
}

/**
 * Replaces `path` with `data` all at once: written to a temporary file beside it (created
 * with `mode`), synced, renamed over it, and the directory synced. A crash leaves the old
 * content or the new one, never a mix; readers never see a partial file.
 */
export async function writeFileAtomically(path: string, data: string, mode = 0o600): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const file = await open(temporary, 'wx', mode)
  try {
    await file.writeFile(data, 'utf8')
    await file.sync()
  } catch (error) {
    await file.close()
    await rm(temporary, { force: true })
    throw error
  }
  await file.close()
  try {
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
  await syncDirectory(dirname(path))
}

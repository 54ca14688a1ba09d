import { randomBytes } from 'node:crypto'
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'

/** Another live process holds the data directory. */
export class DataDirLockedError extends Error {
  readonly code = 'DATA_DIR.LOCKED'
  constructor(
    readonly lockPath: string,
    holder: LockHolder | undefined,
  ) {
    const who = holder ? `process ${holder.pid} on ${holder.host}, since ${holder.since}` : 'another process'
    super(
      `DATA_DIR is in use by ${who}: lock file ${lockPath}. Stop that process or choose another DATA_DIR ` +
        '(two processes on one embedded store would corrupt it); if no process uses the directory, delete the lock file.',
    )
    this.name = 'DataDirLockedError'
  }
}

interface LockHolder {
  pid: number
  host: string
  since: string
}

/** Lock files this process holds: its own pid in one of them is not a stale lock. */
const heldByThisProcess = new Set<string>()

export interface DataDirLock {
  readonly path: string
  /** Removes the lock file if it is still this process's. */
  release(): void
}

/**
 * Takes `<dir>/lock` for this process, or throws `DataDirLockedError` naming it.
 *
 * The lock file holds the holder's pid and host; it is created complete (written under a
 * temporary name, then hard-linked, which fails if the name exists), so a reader never sees
 * half of it. A lock left by a process that died (its pid is gone on this host, e.g. after
 * SIGKILL) is taken over at once — no waiting for a staleness timeout, unlike an mtime-based
 * lock. A lock from another host cannot be checked and is respected. Hazard: the pid may have
 * been reused by an unrelated process; the message then says to delete the lock file.
 */
export function lockDataDir(dir: string): DataDirLock {
  const path = join(dir, 'lock')
  const own: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() }
  const text = `${JSON.stringify(own)}\n`
  const temporary = join(dir, `.lock.${process.pid}.${randomBytes(4).toString('hex')}`)
  writeFileSync(temporary, text, { mode: 0o644 })
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        linkSync(temporary, path)
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      const found = readHolder(path)
      if (found === undefined) continue // released meanwhile: try again
      const holder = parseHolder(found)
      if (attempt > 3 || heldByThisProcess.has(path) || (holder && !isStale(holder))) {
        throw new DataDirLockedError(path, holder)
      }
      // Stale: remove it, unless another process took it over meanwhile.
      if (readHolder(path) === found) unlinkSync(path)
    }
  } finally {
    unlinkSync(temporary)
  }
  heldByThisProcess.add(path)
  let released = false
  const release = () => {
    if (released) return
    released = true
    heldByThisProcess.delete(path)
    if (readHolder(path) === text) unlinkSync(path)
  }
  process.once('exit', release)
  return {
    path,
    release() {
      process.off('exit', release)
      release()
    },
  }
}

function readHolder(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>
    return typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.since === 'string'
      ? (value as LockHolder)
      : undefined
  } catch {
    return undefined
  }
}

function isStale(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return false
  if (holder.pid === process.pid) return true // a lock of an earlier life of this pid (a container's pid 1)
  try {
    process.kill(holder.pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

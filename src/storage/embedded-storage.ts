import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { MemoryGenerationStore } from '../consumers/memory-generation-store.js'
import { MemoryLeaseStore } from '../consumers/memory-lease-store.js'
import { type FileCommitJournal, type TornTail, openFileCommitJournal } from '../events/file-commit-journal.js'
import { MemoryCommitLog } from '../events/memory-commit-log.js'
import { orderNumberOf } from '../events/streams.js'
import { memorySequences } from '../infra/sequence.js'
import { MemoryJobRunStore } from '../jobs/memory-job-run-store.js'
import { MemoryReadModelStore } from '../projections/memory-read-model.js'
import { FileUserStore } from '../users/file-user-store.js'
import { MemoryUserStore } from '../users/memory-user-store.js'
import { lockDataDir } from './data-dir-lock.js'
import type { Storage } from './open-storage.js'

/** The files of a data directory. */
export const DATA_FILES = {
  events: 'events.log',
  users: 'users.json',
  signingKey: 'signing-key.pem',
  lock: 'lock',
} as const

/** What opening a data directory found, for the start-up log. */
export interface EmbeddedOpening {
  commits: number
  bytes: number
  ms: number
  tornTail?: TornTail
}

/** The embedded mode with nothing kept (`DATA_DIR=:memory:`): tests, benchmarks. */
export function inMemoryStorage(): Storage {
  return {
    kind: 'embedded',
    dataDir: undefined,
    commitLog: new MemoryCommitLog(),
    readModels: new MemoryReadModelStore(),
    leases: new MemoryLeaseStore(),
    generations: new MemoryGenerationStore(),
    users: new MemoryUserStore(),
    sequences: memorySequences(),
    jobRuns: new MemoryJobRunStore(),
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  }
}

/**
 * The embedded mode keeping its data in `dir`: the event log (`events.log`, see
 * `events/file-commit-journal.ts`) under the memory commit log, users (`users.json`), the
 * signing key (`signing-key.pem`, read by the tokens plugin), all under a lock file that
 * keeps a second process out. Read models, leases and generations stay in memory and are
 * rebuilt from the log at start; order numbers continue from the highest in the log.
 */
export async function openDataDir(dir: string, onOpened: (opening: EmbeddedOpening) => void = () => undefined): Promise<Storage> {
  const root = resolve(dir)
  await mkdir(root, { recursive: true, mode: 0o700 })
  const lock = lockDataDir(root)
  try {
    const started = performance.now()
    let tornTail: TornTail | undefined
    let commits = 0
    // The log takes back each stored commit as the journal reads it, then writes through it.
    const file: { journal?: FileCommitJournal } = {}
    const commitLog = new MemoryCommitLog({ append: (texts) => (file.journal as FileCommitJournal).append(texts) })
    const opened = await openFileCommitJournal(
      join(root, DATA_FILES.events),
      (text) => {
        commitLog.restore(text) // checks order and uniqueness as it goes
        commits++
      },
      (tail) => (tornTail = tail),
    )
    file.journal = opened
    const users = await FileUserStore.open(join(root, DATA_FILES.users))
    let lastOrder = 0
    for (const stream of commitLog.streamNames()) lastOrder = Math.max(lastOrder, orderNumberOf(stream) ?? 0)
    onOpened({
      commits,
      bytes: opened.size,
      ms: Math.round(performance.now() - started),
      ...(tornTail ? { tornTail } : {}),
    })
    return {
      ...inMemoryStorage(),
      dataDir: root,
      commitLog,
      users,
      sequences: memorySequences([['order_number', lastOrder]]),
      async close() {
        await opened.close()
        lock.release()
      },
    }
  } catch (error) {
    lock.release()
    throw error
  }
}

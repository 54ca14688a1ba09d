import type { NewEvent } from '../../src/events/envelope.js'
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createEventStore } from '../../src/events/event-store.js'
import {
  CorruptEventLogError,
  type FileCommitJournal,
  type TornTail,
  encodeRecord,
  openFileCommitJournal,
} from '../../src/events/file-commit-journal.js'
import { type CommitJournal, MemoryCommitLog } from '../../src/events/memory-commit-log.js'
import { recordsOf } from '../support/embedded.js'
import { eventStoreContract } from '../support/event-store-contract.js'

const who = { actor: 'rep@example.com', correlationId: 'corr-1' }
const created = (n: number) => ({ type: 'thing.created', data: { n, note: 'x'.repeat(n % 7) } })

/** A memory log over a file journal at `path`, as the embedded mode opens it (records restored first). */
async function openLog(path: string, journalSeen: (journal: CommitJournal) => CommitJournal = (j) => j) {
  const file: { journal?: FileCommitJournal } = {}
  const tails: TornTail[] = []
  const log = new MemoryCommitLog(journalSeen({ append: (texts) => (file.journal as FileCommitJournal).append(texts) }))
  const journal = await openFileCommitJournal(
    path,
    (text) => {
      log.restore(text)
    },
    (tail) => tails.push(tail),
  )
  file.journal = journal
  return { log, journal, tails, store: createEventStore<NewEvent>(log, { source: 'test-instance' }) }
}

/** A log at `path` holding one commit for each of streams s-1 … s-<count>; returns its records. */
async function logOf(path: string, count: number) {
  const { store, journal } = await openLog(path)
  for (let i = 1; i <= count; i++) await store.append(`s-${i}`, [created(i)], who)
  await journal.close()
  return recordsOf(path)
}

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-commit-log-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

// The durable log is the memory adapter with the file journal beneath it: the same contract.
eventStoreContract('memory over the file journal', async () => {
  const { log, journal } = await openLog(join(dir, `events-${Math.random()}.log`))
  return { log, cleanup: () => journal.close() }
})

describe('file commit journal', () => {
  it('keeps every commit across a reopen: same events, positions, versions, idempotency records', async () => {
    const path = join(dir, 'events.log')
    const first = await openLog(path)
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        first.store.append(`thing-${i % 5}`, [created(i), created(i + 100)], {
          ...who,
          commandId: `cmd-${i}`,
          fingerprint: `fp-${i}`,
        }),
      ),
    )
    const before = await first.store.readAll({ after: 0, limit: 1000 })
    await first.journal.close()

    const second = await openLog(path)
    expect(second.tails).toEqual([])
    expect(await second.store.readAll({ after: 0, limit: 1000 })).toEqual(before)
    expect(before.events.map((e) => e.position)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1))
    // A retried command after the restart returns the original result, not a second commit.
    const retry = await second.store.append('thing-3', [created(3)], { ...who, commandId: 'cmd-3', fingerprint: 'fp-3' })
    expect(retry).toMatchObject({ replayed: true, position: results[3]?.position, fingerprint: 'fp-3' })
    // New commits continue after the stored ones.
    expect((await second.store.append('thing-new', [created(1)], { ...who, expectedVersion: 'no_stream' })).position).toBe(81)
    await second.journal.close()
  })

  it('makes concurrent appends durable in batches (group commit): one journal write for many appends', async () => {
    const writes: number[] = []
    const { store, journal } = await openLog(join(dir, 'events.log'), (inner) => ({
      append: (texts) => {
        writes.push(texts.length)
        return inner.append(texts)
      },
    }))
    await Promise.all(Array.from({ length: 64 }, (_, i) => store.append(`s-${i}`, [created(i)], who)))
    expect(writes.reduce((a, b) => a + b, 0)).toBe(64)
    expect(writes.length).toBeLessThan(64)
    await journal.close()
  })

  it('a commit becomes readable only once the journal has it on disk', async () => {
    let release: () => void = () => undefined
    let writing: () => void = () => undefined
    const held = new Promise<void>((resolve) => (release = resolve))
    const reached = new Promise<void>((resolve) => (writing = resolve))
    const { store, log, journal } = await openLog(join(dir, 'events.log'), (inner) => ({
      append: async (texts) => {
        writing()
        await held
        return inner.append(texts)
      },
    }))
    const appended = store.append('s-1', [created(1)], who)
    await reached // the commit is on its way to the disk, not there yet
    expect(await log.lastPosition()).toBe(0)
    expect((await store.readAll({ after: 0 })).events).toEqual([])
    release()
    expect((await appended).position).toBe(1)
    expect((await store.readAll({ after: 0 })).events).toHaveLength(1)
    await journal.close()
  })

  it('a torn tail (incomplete last record) is cut off and reported; only that record is lost', async () => {
    const path = join(dir, 'events.log')
    const last = (await logOf(path, 5)).at(-1) as { offset: number; length: number }
    await truncate(path, last.offset + Math.floor(last.length / 2))

    const second = await openLog(path)
    expect(second.tails).toEqual([{ offset: last.offset, bytes: Math.floor(last.length / 2) }])
    expect((await stat(path)).size).toBe(last.offset)
    const { events } = await second.store.readAll({ after: 0 })
    expect(events.map((e) => e.stream)).toEqual(['s-1', 's-2', 's-3', 's-4'])
    // Appends go on after the cut, and survive another reopen.
    await second.store.append('s-6', [created(6)], who)
    await second.journal.close()
    const third = await openLog(path)
    expect(third.tails).toEqual([])
    expect((await third.store.readAll({ after: 0 })).events.map((e) => [e.stream, e.position])).toEqual([
      ['s-1', 1],
      ['s-2', 2],
      ['s-3', 3],
      ['s-4', 4],
      ['s-6', 5],
    ])
    await third.journal.close()
  })

  it.each([
    ['a header cut short', (record: Buffer) => record.subarray(0, 6)],
    ['a whole record with a bad checksum', (record: Buffer) => Buffer.concat([record.subarray(0, -1), Buffer.from('#')])],
    ['zeros where a write did not land', (record: Buffer) => Buffer.alloc(record.length)],
  ])('a tail of %s after the last valid record is cut off', async (_name, damage) => {
    const path = join(dir, 'events.log')
    await logOf(path, 1)
    const size = (await stat(path)).size
    const tail = damage(encodeRecord(JSON.stringify([2, 's-2', 1, null, null, 0, []])))
    await writeFile(path, tail, { flag: 'a' })

    const second = await openLog(path)
    expect(second.tails).toEqual([{ offset: size, bytes: tail.length }])
    expect((await second.store.readAll({ after: 0 })).events.map((e) => e.stream)).toEqual(['s-1'])
    await second.journal.close()
  })

  it('a damaged record followed by valid ones refuses to open, naming its byte offset, and changes nothing', async () => {
    const path = join(dir, 'events.log')
    const records = await logOf(path, 5)
    const damaged = records[2] as { offset: number; length: number }
    const bytes = await readFile(path)
    bytes[damaged.offset + 20] = (bytes[damaged.offset + 20] ?? 0) ^ 0x01
    await writeFile(path, bytes)

    const error = await openLog(path).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CorruptEventLogError)
    expect((error as CorruptEventLogError).offset).toBe(damaged.offset)
    expect((error as Error).message).toContain(`byte offset ${damaged.offset}`)
    expect((error as Error).message).toContain(`valid records follow at byte offset ${records[3]?.offset}`)
    expect(await readFile(path)).toEqual(bytes)
  })

  it('a valid record out of order (a commit written twice) refuses to open, naming its byte offset', async () => {
    const path = join(dir, 'events.log')
    await logOf(path, 1)
    const bytes = await readFile(path)
    await writeFile(path, Buffer.concat([bytes, bytes]))

    const error = await openLog(path).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CorruptEventLogError)
    expect((error as Error).message).toMatch(
      new RegExp(`byte offset ${bytes.length} \\(commit #2 is at position 1, expected 2\\)`),
    )
  })
})

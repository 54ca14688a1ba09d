import type { NewEvent } from '../../src/events/envelope.js'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CommitLog } from '../../src/events/commit-log.js'
import { EVENT_ID_PATTERN, type StoredEvent } from '../../src/events/envelope.js'
import { ConcurrencyError } from '../../src/events/errors.js'
import { type EventStore, type EventStoreOptions, createEventStore } from '../../src/events/event-store.js'
import { eventually, sleep } from './wait.js'

export interface CommitLogFixture {
  log: CommitLog
  cleanup(): Promise<void>
}

const who = { actor: 'rep@example.com', correlationId: 'corr-1' }
const created = (n: number) => ({ type: 'thing.created', data: { n } })

/**
 * The event store guarantees of DESIGN §4, run against any commit log adapter.
 * `makeLog` gives each test an empty log.
 */
export function eventStoreContract(adapter: string, makeLog: () => Promise<CommitLogFixture>): void {
  describe(`event store contract (${adapter})`, () => {
    let fixture: CommitLogFixture
    let store: EventStore<NewEvent>
    const open = (options: Partial<EventStoreOptions> = {}) =>
      createEventStore<NewEvent>(fixture.log, { source: 'test-instance', ...options })

    beforeEach(async () => {
      fixture = await makeLog()
      await fixture.log.ensureIndexes()
      store = open()
    })
    afterEach(async () => {
      await fixture.cleanup()
    })

    describe('append', () => {
      it('writes all of a commit’s events with consecutive versions and positions and full metadata', async () => {
        const result = await store.append('thing-1', [created(1), created(2), created(3)], {
          expectedVersion: 'no_stream',
          ...who,
          causationId: 'cause-1',
        })
        expect(result).toMatchObject({ stream: 'thing-1', version: 3, position: 3, replayed: false })

        const events = await store.readStream('thing-1')
        expect(events.map((e) => [e.version, e.position, e.data])).toEqual([
          [1, 1, { n: 1 }],
          [2, 2, { n: 2 }],
          [3, 3, { n: 3 }],
        ])
        for (const event of events) {
          expect(event.event_id).toMatch(EVENT_ID_PATTERN)
          expect(event.metadata).toEqual({
            timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as string,
            source: 'test-instance',
            actor: 'rep@example.com',
            correlation_id: 'corr-1',
            causation_id: 'cause-1',
          })
        }
        expect(new Set(events.map((e) => e.event_id)).size).toBe(3)
        expect(result.events).toEqual(events)
      })

      it('writes none of a commit’s events when its write fails, and leaves no gap to wait on', async () => {
        await store.append('thing-1', [created(1)], who)
        const failing = open({
          beforeInsert: (stream) => (stream === 'thing-1' ? Promise.reject(new Error('write failed')) : Promise.resolve()),
        })
        await expect(failing.append('thing-1', [created(8), created(9)], who)).rejects.toThrow('write failed')

        expect((await store.readStream('thing-1')).map((e) => e.data)).toEqual([{ n: 1 }])
        const after = await store.append('thing-1', [created(3)], who)
        expect(after.version).toBe(2)
        // The failed commit left no hole: the next commit took the position it would have had.
        expect(after.position).toBe(2)
        const all = await store.readAll({ after: 0 })
        expect(all.events.map((e) => e.data)).toEqual([{ n: 1 }, { n: 3 }])
        expect(all.position).toBe(after.position)
      })

      it('refuses payloads MongoDB-wire servers cannot store faithfully, before writing anything', async () => {
        const bad: unknown[] = [
          { $where: 1 },
          { 'a.b': 1 },
          { list: [[1, 2]] },
          { n: Number.NaN },
          { n: Number.POSITIVE_INFINITY },
          { n: -0 },
          { f: () => 1 },
          { d: new Date() },
          { u: undefined },
          { name: 'NUL \u0000 inside' }, // PostgreSQL (beneath FerretDB) refuses it: the insert fails
          { name: 'lone \ud800 surrogate' }, // written as U+FFFD by every driver
          { ['key\u0000']: 1 },
        ]
        for (const data of bad) {
          await expect(store.append('thing-1', [{ type: 'thing.created', data }], who)).rejects.toMatchObject({
            code: 'STREAM.INVALID_APPEND',
          })
        }
        expect(await store.headPosition()).toBe(0)
        expect(await store.readStream('thing-1')).toEqual([])
      })

      it('rejects empty and oversized commits and bad stream names', async () => {
        await expect(store.append('thing-1', [], who)).rejects.toMatchObject({ code: 'STREAM.INVALID_APPEND' })
        const tooMany = Array.from({ length: 101 }, (_, i) => created(i))
        await expect(store.append('thing-1', tooMany, who)).rejects.toMatchObject({ code: 'STREAM.INVALID_APPEND' })
        await expect(store.append('no stream', [created(1)], who)).rejects.toMatchObject({ code: 'STREAM.INVALID_APPEND' })
        expect(await store.headPosition()).toBe(0)
      })
    })

    describe('expected version', () => {
      it('no_stream: accepted on a new stream, refused once it exists', async () => {
        await store.append('thing-1', [created(1)], { ...who, expectedVersion: 'no_stream' })
        const error = await store
          .append('thing-1', [created(2)], { ...who, expectedVersion: 'no_stream' })
          .catch((e: unknown) => e)
        expect(error).toBeInstanceOf(ConcurrencyError)
        expect(error).toMatchObject({ code: 'STREAM.CONCURRENCY', actual: 1, expected: 'no_stream' })
      })

      it('stream_exists: refused on a new stream, accepted once it exists', async () => {
        await expect(store.append('thing-1', [created(1)], { ...who, expectedVersion: 'stream_exists' })).rejects.toBeInstanceOf(
          ConcurrencyError,
        )
        await store.append('thing-1', [created(1)], who)
        const result = await store.append('thing-1', [created(2)], { ...who, expectedVersion: 'stream_exists' })
        expect(result.version).toBe(2)
      })

      it('a number: accepted when equal to the current version, refused otherwise, writing nothing', async () => {
        await store.append('thing-1', [created(1), created(2)], who)
        await expect(store.append('thing-1', [created(3)], { ...who, expectedVersion: 1 })).rejects.toBeInstanceOf(
          ConcurrencyError,
        )
        await expect(store.append('thing-1', [created(3)], { ...who, expectedVersion: 3 })).rejects.toBeInstanceOf(
          ConcurrencyError,
        )
        await expect(store.append('thing-2', [created(3)], { ...who, expectedVersion: 0 })).resolves.toMatchObject({ version: 1 })
        const result = await store.append('thing-1', [created(3)], { ...who, expectedVersion: 2 })
        expect(result.version).toBe(3)
        expect((await store.readStream('thing-1')).length).toBe(3)
      })

      it('any: always appends after the current version', async () => {
        await store.append('thing-1', [created(1)], { ...who, expectedVersion: 'any' })
        const result = await store.append('thing-1', [created(2)], { ...who, expectedVersion: 'any' })
        expect(result.version).toBe(2)
      })

      it('20 concurrent appends with the same expected version: exactly one wins, no partial commit', async () => {
        await store.append('thing-1', [created(0)], who)
        const outcomes = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) =>
            store.append('thing-1', [created(100 + i), created(200 + i)], { ...who, expectedVersion: 1 }),
          ),
        )
        const won = outcomes.filter((o) => o.status === 'fulfilled')
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')
        expect(won).toHaveLength(1)
        expect(lost).toHaveLength(19)
        for (const o of lost) expect(o.reason).toBeInstanceOf(ConcurrencyError)

        const winner = (won[0] as PromiseFulfilledResult<{ events: StoredEvent[] }>).value
        const events = await store.readStream('thing-1')
        expect(events.map((e) => e.version)).toEqual([1, 2, 3])
        expect(events.slice(1)).toEqual(winner.events)
        const all = await store.readAll({ after: 0 })
        expect(all.events.map((e) => e.event_id)).toEqual(events.map((e) => e.event_id))
      })
    })

    describe('command id idempotency', () => {
      it('a stored command id returns the original result and writes nothing', async () => {
        const first = await store.append('thing-1', [created(1)], { ...who, commandId: 'cmd-1', expectedVersion: 'no_stream' })
        const head = await store.headPosition()
        const again = await store.append('thing-1', [created(999)], { ...who, commandId: 'cmd-1', expectedVersion: 'no_stream' })
        expect(again).toEqual({ ...first, replayed: true })
        expect(await store.headPosition()).toBe(head)
        expect((await store.readStream('thing-1')).map((e) => e.data)).toEqual([{ n: 1 }])
      })

      it('ten racing appends with one command id write once and all return the same result', async () => {
        const results = await Promise.all(
          Array.from({ length: 10 }, () => store.append('thing-1', [created(1)], { ...who, commandId: 'cmd-race' })),
        )
        expect(new Set(results.map((r) => r.events[0]?.event_id)).size).toBe(1)
        expect(results.filter((r) => !r.replayed)).toHaveLength(1)
        expect(await store.readStream('thing-1')).toHaveLength(1)
        expect((await store.readAll({ after: 0 })).events).toHaveLength(1)
      })

      it('findCommand returns what a command id wrote, with its fingerprint', async () => {
        expect(await store.findCommand('cmd-1')).toBeNull()
        const written = await store.append('thing-1', [created(1)], { ...who, commandId: 'cmd-1', fingerprint: 'sha256:abc' })
        expect(written.fingerprint).toBe('sha256:abc')
        expect(await store.findCommand('cmd-1')).toEqual({ ...written, replayed: true })
      })

      it('a command id reused for another stream is refused', async () => {
        await store.append('thing-1', [created(1)], { ...who, commandId: 'cmd-1' })
        await expect(store.append('thing-2', [created(1)], { ...who, commandId: 'cmd-1' })).rejects.toMatchObject({
          code: 'STREAM.COMMAND_ID_REUSED',
        })
        expect(await store.readStream('thing-2')).toEqual([])
      })
    })

    describe('reading', () => {
      it('readStream from a version and until a time', async () => {
        let clock = Date.parse('2025-03-01T10:00:00.000Z')
        const timed = open({ now: () => new Date(clock) })
        for (let n = 1; n <= 4; n++) {
          await timed.append('thing-1', [created(n)], who)
          clock += 60_000
        }
        const until = new Date('2025-03-01T10:01:00.000Z')
        expect((await timed.readStream('thing-1', { until })).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }])
        expect((await timed.readStream('thing-1', { fromVersion: 3 })).map((e) => e.version)).toEqual([3, 4])
        expect(await timed.readStream('thing-1', { until: new Date('2025-03-01T09:00:00.000Z') })).toEqual([])
        expect(await timed.readStream('thing-9')).toEqual([])
      })

      it('readAll pages through every event in position order, also from inside a commit', async () => {
        for (let n = 1; n <= 25; n += 5) {
          await store.append(
            `thing-${n}`,
            [1, 2, 3, 4, 5].map((i) => created(n + i - 1)),
            who,
          )
        }
        const seen: number[] = []
        let after = 0
        for (let page = 0; page < 10; page++) {
          const { events, position } = await store.readAll({ after, limit: 10 })
          if (events.length === 0) break
          expect(events.length).toBeLessThanOrEqual(10)
          seen.push(...events.map((e) => e.position))
          after = position
        }
        expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i + 1))

        const middle = await store.readAll({ after: 7, limit: 3 })
        expect(middle.events.map((e) => e.position)).toEqual([8, 9, 10])
        expect(middle.position).toBe(10)
        expect(await store.headPosition()).toBe(25)
      })
    })

    it('gap safety: concurrent writers with random delays and one stalled far past a gap timeout', async () => {
      const stallMs = 1500
      const stall: { position?: number; over: boolean } = { over: false }
      // Each writer is its own store instance, as separate processes would be.
      const stalledWriter = open({
        async beforeInsert(_stream, position) {
          if (stall.position !== undefined) return
          stall.position = position
          await sleep(stallMs)
          stall.over = true
        },
      })
      const writers = Array.from({ length: 8 }, () => open({ beforeInsert: () => sleep(Math.random() * 40) }))
      const reader = open()

      const acknowledged: StoredEvent[] = []
      const seen: StoredEvent[] = []
      const progress = { writing: true, seenWhileStalled: 0 }
      let after = 0
      const follow = eventually(
        'the reader to reach the head once the writers are done',
        async () => {
          const { events, position } = await reader.readAll({ after, limit: 20 })
          seen.push(...events)
          after = position
          if (!stall.over) progress.seenWhileStalled = after
          return !progress.writing && after >= (await reader.headPosition())
        },
        60_000,
        20,
      )
      // Awaited below; should the test fail before that, its timeout must not surface as unhandled too.
      follow.catch(() => undefined)

      const stalledWrite = stalledWriter.append('thing-stalled', [created(-1)], who)
      await eventually('the stalled writer to pick its position first', () => stall.position !== undefined)
      await Promise.all(
        writers.map(async (writer, w) => {
          for (let i = 0; i < 6; i++) {
            const result = await writer.append(`thing-w${w}`, [created(w * 100 + i), created(w * 100 + i + 50)], who)
            acknowledged.push(...result.events)
          }
        }),
      )
      // The stalled writer's position was taken meanwhile: its append retried and succeeded
      // later, at the end (an error would also meet the contract, as long as its caller sees it).
      const stalled = await stalledWrite
      acknowledged.push(...stalled.events)
      progress.writing = false
      await follow

      expect(stall.position).toBe(1)
      expect(stalled.position).toBeGreaterThan(1)
      // Readers never waited for the stalled writer: they read past its position meanwhile.
      expect(progress.seenWhileStalled).toBeGreaterThan(1)
      const positions = seen.map((e) => e.position)
      expect(positions).toEqual(Array.from({ length: positions.length }, (_, i) => i + 1))
      expect(seen.map((e) => e.event_id).sort()).toEqual(acknowledged.map((e) => e.event_id).sort())
      expect(acknowledged.length).toBe(8 * 6 * 2 + 1)
    })

    it('three store instances appending concurrently (three service instances): none refused as busy, every event read once in order', async () => {
      const instances = [open(), open(), open()]
      const acknowledged: StoredEvent[] = []
      const refused: unknown[] = []
      await Promise.all(
        instances.flatMap((instance, i) =>
          // Four requests at a time on each instance, 15 orders each: 180 racing commits.
          Array.from({ length: 4 }, async (_, r) => {
            for (let n = 0; n < 15; n++) {
              try {
                const result = await instance.append(`order-${i}-${r}-${n}`, [created(n), created(n + 1)], {
                  ...who,
                  expectedVersion: 'no_stream',
                })
                acknowledged.push(...result.events)
              } catch (error) {
                refused.push(error)
              }
            }
          }),
        ),
      )
      expect(refused).toEqual([])
      const seen: StoredEvent[] = []
      for (let after = 0; ;) {
        const { events, position } = await store.readAll({ after, limit: 50 })
        if (events.length === 0) break
        seen.push(...events)
        after = position
      }
      expect(seen.map((e) => e.position)).toEqual(Array.from({ length: 3 * 4 * 15 * 2 }, (_, i) => i + 1))
      expect(seen.map((e) => e.event_id).sort()).toEqual(acknowledged.map((e) => e.event_id).sort())
    })
  })
}

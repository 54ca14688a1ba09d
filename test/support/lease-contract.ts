import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { StoredEvent } from '../../src/events/envelope.js'
import type { NewEvent } from '../../src/events/envelope.js'
import type { EventStore } from '../../src/events/event-store.js'
import { type HeldLease, LeaseLostError, type LeaseRecord, type LeaseStore, acquireLease } from '../../src/consumers/leases.js'
import {
  type BatchHandler,
  type Subscription,
  type SubscriptionOptions,
  startSubscription,
} from '../../src/consumers/subscription.js'
import { eventually, sleep } from './wait.js'

export interface LeaseFixture {
  leases: LeaseStore
  store: EventStore<NewEvent>
  cleanup(): Promise<void>
}

const who = { actor: 'lease-test@example.com', correlationId: 'corr-lease' }
const created = (n: number) => ({ type: 'thing.created', data: { n } })

/** Subscription timings small enough for tests (DESIGN: hand-over within 10 s). */
const timings = { pollMs: 50, acquireEveryMs: 200, leaseTtlMs: 1500 } as const
const HANDOVER_DEADLINE_MS = 10_000

/**
 * Leases (singleton consumers with fencing tokens) and the catch-up subscription built on
 * them, run against any lease store adapter. `make` gives each test an empty lease store
 * and an empty event store.
 */
export function leaseContract(adapter: string, make: () => Promise<LeaseFixture>): void {
  describe(`lease contract (${adapter})`, () => {
    let leases: LeaseStore
    let store: EventStore<NewEvent>
    let cleanup: () => Promise<void>
    /** A fake clock for the lease tests that need time to pass. */
    let clock: { t: number }
    const now = () => clock.t
    const subscriptions: Subscription[] = []

    const subscribe = (options: Partial<SubscriptionOptions> & Pick<SubscriptionOptions, 'name' | 'handle'>) => {
      const subscription = startSubscription({ store, leases, ...timings, ...options })
      subscriptions.push(subscription)
      return subscription
    }

    beforeEach(async () => {
      const made = await make()
      leases = made.leases
      store = made.store
      cleanup = () => made.cleanup()
      clock = { t: 1_750_000_000_000 }
    })
    afterEach(async () => {
      // A failed test must not leave subscriptions polling a dropped database.
      await Promise.all(subscriptions.splice(0).map((s) => s.stop()))
      await cleanup()
    })

    describe('acquireLease', () => {
      it('gives the first holder token 1 at position 0 and refuses others while it is alive', async () => {
        const first = await acquireLease(leases, 'proj', { holder: 'a', ttlMs: 1000, now })
        expect(first).toMatchObject({ name: 'proj', token: 1, position: 0 })
        expect(first?.valid()).toBe(true)
        expect(await leases.latest('proj')).toEqual({
          _id: 'proj#1',
          name: 'proj',
          token: 1,
          holder: 'a',
          expires_at: clock.t + 1000,
          position: 0,
        })

        expect(await acquireLease(leases, 'proj', { holder: 'b', ttlMs: 1000, now })).toBeNull()
        clock.t += 999
        expect(await acquireLease(leases, 'proj', { holder: 'b', ttlMs: 1000, now })).toBeNull()
        expect((await leases.latest('proj'))?.token).toBe(1)
      })

      it('after expiry hands the next token to another holder, starting from the checkpoint', async () => {
        const first = (await acquireLease(leases, 'proj', { holder: 'a', ttlMs: 1000, now }))!
        await first.checkpoint(42)
        expect(first.position).toBe(42)
        clock.t += 1000

        const second = await acquireLease(leases, 'proj', { holder: 'b', ttlMs: 1000, now })
        expect(second).toMatchObject({ token: 2, position: 42 })
        expect(await leases.latest('proj')).toMatchObject({ token: 2, holder: 'b', position: 42, expires_at: clock.t + 1000 })
      })

      it('gives the same holder a new token when it acquires again, even while its lease is alive', async () => {
        const first = (await acquireLease(leases, 'proj', { holder: 'a', ttlMs: 1000, now }))!
        await first.checkpoint(7)
        const again = await acquireLease(leases, 'proj', { holder: 'a', ttlMs: 1000, now })
        expect(again).toMatchObject({ token: 2, position: 7 })
        expect(await leases.latest('proj')).toMatchObject({ token: 2, holder: 'a' })
        // The newer token fences the older one.
        await expect(first.checkpoint(8)).rejects.toBeInstanceOf(LeaseLostError)
        expect((await leases.latest('proj'))?.position).toBe(7)
      })

      it('keeps leases of different names apart', async () => {
        const one = await acquireLease(leases, 'proj-1', { holder: 'a', ttlMs: 1000, now })
        const two = await acquireLease(leases, 'proj-2', { holder: 'b', ttlMs: 1000, now })
        expect(one?.token).toBe(1)
        expect(two?.token).toBe(1)
        await one!.checkpoint(5)
        expect((await leases.latest('proj-2'))?.position).toBe(0)
        expect(await leases.latest('proj-3')).toBeNull()
      })

      it('lets exactly one of many racing holders win, on a new lease and on an expired one', async () => {
        const race = () =>
          Promise.all(Array.from({ length: 10 }, (_, i) => acquireLease(leases, 'proj', { holder: `h${i}`, ttlMs: 1000, now })))

        const round1 = await race()
        const winners1 = round1.filter((l): l is HeldLease => l !== null)
        expect(winners1).toHaveLength(1)
        expect(winners1[0]?.token).toBe(1)
        await winners1[0]!.checkpoint(3)

        clock.t += 5000
        const round2 = await race()
        const winners2 = round2.filter((l): l is HeldLease => l !== null)
        expect(winners2).toHaveLength(1)
        expect(winners2[0]).toMatchObject({ token: 2, position: 3 })
        expect((await leases.latest('proj'))?.token).toBe(2)
      })

      it('renew extends the lease; valid() turns false a safety margin before expiry', async () => {
        const lease = (await acquireLease(leases, 'proj', { holder: 'a', ttlMs: 1000, now }))!
        clock.t += 700
        await lease.renew()
        expect((await leases.latest('proj'))?.expires_at).toBe(clock.t + 1000)
        clock.t += 700 // 1400 ms after acquiring: the first expiry has passed, the renewed one not
        expect(await acquireLease(leases, 'proj', { holder: 'b', ttlMs: 1000, now })).toBeNull()
        expect(lease.valid()).toBe(true)

        // margin = min(1000, ttl / 5) = 200 ms: 850 ms after the renewal the holder stops writing.
        clock.t += 150
        expect(lease.valid()).toBe(false)
        await expect(lease.checkpoint(1)).rejects.toBeInstanceOf(LeaseLostError)
        expect((await leases.latest('proj'))?.position).toBe(0)
        // …while nobody else may take it before the expiry itself.
        expect(await acquireLease(leases, 'proj', { holder: 'b', ttlMs: 1000, now })).toBeNull()
      })
    })

    describe('fencing', () => {
      it('after a takeover, the expired old holder can neither checkpoint nor renew', async () => {
        const old = (await acquireLease(leases, 'proj', { holder: 'a', ttlMs: 1000, now }))!
        await old.checkpoint(5)
        clock.t += 1001
        const next = (await acquireLease(leases, 'proj', { holder: 'b', ttlMs: 1000, now }))!
        expect(next).toMatchObject({ token: 2, position: 5 })

        expect(old.valid()).toBe(false)
        await expect(old.checkpoint(9)).rejects.toBeInstanceOf(LeaseLostError)
        await expect(old.renew()).rejects.toBeInstanceOf(LeaseLostError)
        expect(await leases.latest('proj')).toMatchObject({ token: 2, holder: 'b', position: 5 })

        await next.checkpoint(6)
        expect(await leases.latest('proj')).toMatchObject({ token: 2, position: 6 })
      })

      it('a paused old holder whose clock says "valid" cannot move the effective checkpoint', async () => {
        // The old holder's clock stands still (a long GC pause, a frozen VM); the new one's runs on.
        const paused = { t: clock.t }
        const old = (await acquireLease(leases, 'proj', { holder: 'a', ttlMs: 1000, now: () => paused.t }))!
        await old.checkpoint(5)
        clock.t += 1001
        const next = (await acquireLease(leases, 'proj', { holder: 'b', ttlMs: 1000, now }))!
        expect(next.token).toBe(2)
        await next.checkpoint(6)

        expect(old.valid()).toBe(true)
        await expect(old.checkpoint(99)).rejects.toBeInstanceOf(LeaseLostError)
        await expect(old.renew()).rejects.toBeInstanceOf(LeaseLostError)
        expect(await leases.latest('proj')).toMatchObject({ token: 2, holder: 'b', position: 6 })

        // The next takeover copies the new holder's checkpoint, never the fenced one.
        clock.t += 1001
        const third = await acquireLease(leases, 'proj', { holder: 'c', ttlMs: 1000, now })
        expect(third).toMatchObject({ token: 3, position: 6 })
      })
    })

    describe('release', () => {
      it('lets another holder take over at once, from the released checkpoint', async () => {
        const first = (await acquireLease(leases, 'proj', { holder: 'a', ttlMs: 60_000, now }))!
        await first.checkpoint(11)
        expect(await acquireLease(leases, 'proj', { holder: 'b', ttlMs: 60_000, now })).toBeNull()

        await first.release()
        expect(first.valid()).toBe(false)
        await expect(first.checkpoint(12)).rejects.toBeInstanceOf(LeaseLostError)
        await expect(first.renew()).rejects.toBeInstanceOf(LeaseLostError)

        const second = await acquireLease(leases, 'proj', { holder: 'b', ttlMs: 60_000, now })
        expect(second).toMatchObject({ token: 2, position: 11 })
        expect(await acquireLease(leases, 'proj', { holder: 'a', ttlMs: 60_000, now })).toBeNull()
      })
    })

    describe('subscription', () => {
      it('hands events to the handler in batches, checkpoints, and a successor resumes from the checkpoint', async () => {
        await append(store, 0, 5)
        const batches: number[][] = []
        const first = subscribe({
          name: 'proj',
          holder: 'a',
          batchSize: 2,
          handle: async (events) => void batches.push(positions(events)),
        })
        expect(await first.waitFor(5, HANDOVER_DEADLINE_MS)).toBe(true)
        expect(batches).toEqual([[1, 2], [3, 4], [5]])
        await first.stop()
        expect(first.active).toBe(false)
        expect(await leases.latest('proj')).toMatchObject({ holder: 'a', position: 5, expires_at: 0 })

        await append(store, 5, 3)
        const later: number[] = []
        const second = subscribe({ name: 'proj', holder: 'b', handle: async (events) => void later.push(...positions(events)) })
        expect(await second.waitFor(8, HANDOVER_DEADLINE_MS)).toBe(true)
        expect(later).toEqual([6, 7, 8])
        expect(second.active).toBe(true)
        expect(await leases.latest('proj')).toMatchObject({ holder: 'b', position: 8 })
      })

      it('reads the next batch while it hands a full one to the handler, and still hands each event over once, in order', async () => {
        await append(store, 0, 5)
        const reads: number[] = []
        const readWhileHandling: number[][] = []
        const batches: number[][] = []
        const subscription = subscribe({
          name: 'proj',
          holder: 'a',
          batchSize: 2,
          store: recordingReads(store, reads),
          handle: async (events) => {
            readWhileHandling.push([...reads])
            batches.push(positions(events))
          },
        })
        expect(await subscription.waitFor(5, HANDOVER_DEADLINE_MS)).toBe(true)
        expect(batches).toEqual([[1, 2], [3, 4], [5]])
        // The read after 2 was under way while [1, 2] was handled; a short batch reads nothing ahead.
        expect(readWhileHandling).toEqual([
          [0, 2],
          [0, 2, 4],
          [0, 2, 4],
        ])
        expect(reads.filter((after) => after < 5)).toEqual([0, 2, 4])
      })

      it('with checkpointMs: no checkpoint while the interval runs, one on stop, and one once caught up after it', async () => {
        await append(store, 0, 6)
        const checkpointsSeen: number[] = []
        const first = subscribe({
          name: 'proj',
          holder: 'a',
          batchSize: 2,
          checkpointMs: 60_000,
          handle: async () => void checkpointsSeen.push((await leases.latest('proj'))?.position ?? -1),
        })
        expect(await first.waitFor(6, HANDOVER_DEADLINE_MS)).toBe(true)
        expect(checkpointsSeen).toEqual([0, 0, 0])
        expect((await leases.latest('proj'))?.position).toBe(0) // caught up, but the interval is not over
        await first.stop()
        expect(await leases.latest('proj')).toMatchObject({ holder: 'a', position: 6, expires_at: 0 })

        await append(store, 6, 2)
        const second = subscribe({ name: 'proj', holder: 'b', checkpointMs: 200, handle: async () => undefined })
        expect(await second.waitFor(8, HANDOVER_DEADLINE_MS)).toBe(true)
        await eventually(
          'the checkpoint once caught up',
          async () => (await leases.latest('proj'))?.position === 8,
          HANDOVER_DEADLINE_MS,
        )
      })

      it('waitFor resolves true once the position is reached and false after its timeout', async () => {
        const active = subscribe({ name: 'proj', holder: 'a', handle: async () => undefined, wake: (l) => store.onAppended(l) })
        await eventually('the subscription to take its lease', () => active.active, HANDOVER_DEADLINE_MS)
        const pending = active.waitFor(3, HANDOVER_DEADLINE_MS)
        await append(store, 0, 3)
        expect(await pending).toBe(true)
        expect(active.position).toBeGreaterThanOrEqual(3)
        expect(await active.waitFor(2, 0)).toBe(true)
        expect(await active.waitFor(100, 100)).toBe(false)

        // A standby instance learns the checkpoint from the lease record.
        const standby = subscribe({ name: 'proj', holder: 'b', handle: async () => undefined })
        await append(store, 3, 2)
        expect(await standby.waitFor(5, HANDOVER_DEADLINE_MS)).toBe(true)
        expect(standby.active).toBe(false)
        expect(active.active).toBe(true)
      })

      it('a failing handler is reported and its batch retried, losing no event', async () => {
        await append(store, 0, 4)
        const errors: unknown[] = []
        const seen: number[] = []
        let failed = false
        const subscription = subscribe({
          name: 'proj',
          holder: 'a',
          batchSize: 2,
          onError: (error) => errors.push(error),
          handle: async (events) => {
            if (!failed && events.some((e) => e.position === 3)) {
              failed = true
              throw new Error('sink unavailable')
            }
            seen.push(...positions(events))
          },
        })
        expect(await subscription.waitFor(4, HANDOVER_DEADLINE_MS)).toBe(true)
        expect(errors).toHaveLength(1)
        expect((errors[0] as Error).message).toBe('sink unavailable')
        expect(seen).toEqual([1, 2, 3, 4])
      })

      it('stop(graceMs) leaves a store operation that does not answer; its late failure is not reported; the successor re-handles', async () => {
        await append(store, 0, 2)
        const errors: unknown[] = []
        let cutOff: (error: Error) => void = () => undefined
        const stalled = new Promise<void>((_resolve, reject) => (cutOff = reject))
        let waiting = false
        const subscription = subscribe({
          name: 'proj',
          holder: 'a',
          onError: (error) => errors.push(error),
          handle: async () => {
            waiting = true
            await stalled // (a write to a store that stopped answering)
          },
        })
        await eventually('the handler to wait on the store', () => waiting, HANDOVER_DEADLINE_MS)
        expect(await subscription.stop(100)).toBe(false)
        // The store's client closes under it: the operation fails after the stop.
        cutOff(new Error('client was closed'))
        await sleep(50)
        expect(errors).toEqual([])
        const seen: number[] = []
        const successor = subscribe({ name: 'proj', holder: 'b', handle: async (events) => void seen.push(...positions(events)) })
        expect(await successor.waitFor(2, HANDOVER_DEADLINE_MS)).toBe(true)
        expect(seen).toEqual([1, 2])
        expect(await successor.stop(HANDOVER_DEADLINE_MS)).toBe(true)
      })

      it('two instances: one processes at a time, stopping it hands over within 10 s, each event applied once', async () => {
        const recorder = new Recorder()
        const errors: unknown[] = []
        const subs = {
          a: subscribe({ name: 'orders', holder: 'a', handle: recorder.handler('a'), onError: (e) => errors.push(e) }),
          b: subscribe({ name: 'orders', holder: 'b', handle: recorder.handler('b'), onError: (e) => errors.push(e) }),
        }
        const watch = watchActive(Object.values(subs))
        const appender = startAppender(store)
        try {
          await eventually('one instance to process events', () => recorder.total() >= 10, HANDOVER_DEADLINE_MS)
          const [firstId, secondId] = subs.a.active ? (['a', 'b'] as const) : (['b', 'a'] as const)
          const first = subs[firstId]
          const second = subs[secondId]
          expect(first.active).toBe(true)
          expect(second.active).toBe(false)
          expect(recorder.handled(secondId)).toEqual([])

          await first.stop()
          expect(first.active).toBe(false)
          const headAtStop = await store.headPosition()
          await eventually(
            'the other instance to take over and process new events',
            () => second.active && recorder.handled(secondId).filter((p) => p > headAtStop).length >= 5,
            HANDOVER_DEADLINE_MS,
          )

          const head = await appender.stop()
          expect(await second.waitFor(head, HANDOVER_DEADLINE_MS)).toBe(true)
          await second.stop()

          expect(watch.stop()).toEqual({ maxActive: 1 })
          expect(errors).toEqual([])
          recorder.expectEffectivelyOnce(appender.appended, head)
          // A clean stop checkpoints before releasing: the successor starts right after it.
          const firstHandled = recorder.handled(firstId)
          expect(recorder.handled(secondId)[0]).toBe(firstHandled.at(-1)! + 1)
        } finally {
          watch.stop()
          await appender.stop()
        }
      })

      it('a crashed holder (no release) is taken over once its lease has expired', async () => {
        const recorder = new Recorder()
        // A crash: the process stops without giving its lease up.
        const crashy = withoutRelease(leases)
        const subs = {
          a: subscribe({ name: 'orders', holder: 'a', leases: crashy.store, handle: recorder.handler('a') }),
          b: subscribe({ name: 'orders', holder: 'b', leases: crashy.store, handle: recorder.handler('b') }),
        }
        const watch = watchActive(Object.values(subs))
        const appender = startAppender(store)
        try {
          await eventually('one instance to process events', () => recorder.total() >= 10, HANDOVER_DEADLINE_MS)
          const [firstId, secondId] = subs.a.active ? (['a', 'b'] as const) : (['b', 'a'] as const)
          const first = subs[firstId]
          const second = subs[secondId]

          await first.stop()
          const dead = (await leases.latest('orders'))!
          expect(dead.holder).toBe(firstId)
          expect(dead.expires_at).toBeGreaterThan(0) // not released
          const headAtCrash = await store.headPosition()

          await eventually(
            'the other instance to take over after the lease expired',
            () => second.active && recorder.handled(secondId).some((p) => p > headAtCrash),
            HANDOVER_DEADLINE_MS,
          )
          const taken = (await leases.latest('orders'))!
          expect(taken).toMatchObject({ holder: secondId, token: dead.token + 1 })
          // Taken only once the crashed holder's lease had expired, not before.
          expect(crashy.insertedAt(taken._id)).toBeGreaterThanOrEqual(dead.expires_at)
          expect(recorder.handled(secondId)[0]).toBe(dead.position + 1)

          const head = await appender.stop()
          expect(await second.waitFor(head, HANDOVER_DEADLINE_MS)).toBe(true)
          await second.stop()
          expect(watch.stop()).toEqual({ maxActive: 1 })
          recorder.expectEffectivelyOnce(appender.appended, head)
        } finally {
          watch.stop()
          await appender.stop()
        }
      })

      it('a hung holder is taken over after the TTL and, when it wakes, cannot checkpoint or process again', async () => {
        const recorder = new Recorder()
        let releaseHang: () => void = () => undefined
        const hang = new Promise<void>((resolve) => (releaseHang = resolve))
        const hung: { id?: string; batch?: number[]; armed: boolean } = { armed: false }
        const handler =
          (id: string): BatchHandler =>
          async (events, lease) => {
            if (hung.armed && hung.id === undefined) {
              hung.id = id
              hung.batch = positions(events)
              // Frozen mid-batch: its lease expires meanwhile. When it wakes, it finishes the
              // batch (a late write the idempotent sink ignores), outside the in-flight count,
              // since nothing can stop a frozen process from completing what it had in hand.
              await hang
              recorder.apply(id, events)
              return
            }
            await recorder.handler(id)(events, lease)
          }
        const subs = {
          a: subscribe({ name: 'orders', holder: 'a', handle: handler('a') }),
          b: subscribe({ name: 'orders', holder: 'b', handle: handler('b') }),
        }
        const appender = startAppender(store)
        try {
          await eventually('one instance to process events', () => recorder.total() >= 10, HANDOVER_DEADLINE_MS)
          hung.armed = true
          await eventually('a batch to hang', () => hung.id !== undefined, HANDOVER_DEADLINE_MS)
          const hungId = hung.id as 'a' | 'b'
          const otherId = hungId === 'a' ? 'b' : 'a'
          const frozenAt = (await leases.latest('orders'))!
          expect(frozenAt.holder).toBe(hungId)

          await eventually(
            'the other instance to take over from the hung one',
            () => recorder.handled(otherId).length > hung.batch!.length,
            HANDOVER_DEADLINE_MS,
          )
          // It starts from the last checkpoint, so it re-applies the batch that hung.
          expect(recorder.handled(otherId)[0]).toBe(hung.batch![0])
          expect(recorder.handled(otherId)[0]).toBe(frozenAt.position + 1)

          releaseHang()
          await eventually('the woken instance to notice it lost the lease', () => !subs[hungId].active, HANDOVER_DEADLINE_MS)
          const handledAfterWake = recorder.handled(hungId).length

          const head = await appender.stop()
          expect(await subs[otherId].waitFor(head, HANDOVER_DEADLINE_MS)).toBe(true)
          expect(await leases.latest('orders')).toMatchObject({ holder: otherId })
          expect(subs[hungId].active).toBe(false)
          // Only the hung batch itself completed after waking; nothing more.
          expect(recorder.handled(hungId).length).toBe(handledAfterWake)
          await subs[otherId].stop()
          await subs[hungId].stop()
          recorder.expectEffectivelyOnce(appender.appended, head)
        } finally {
          releaseHang()
          await appender.stop()
        }
      })
    })
  })
}

/** Appends `count` single-event commits numbered from `from`. */
async function append(store: EventStore<NewEvent>, from: number, count: number): Promise<void> {
  for (let n = from; n < from + count; n++) await store.append(`thing-${n % 3}`, [created(n)], who)
}

const positions = (events: StoredEvent[]) => events.map((e) => e.position)

/** The store, noting the position each `readAll` starts after in `reads`. */
function recordingReads(store: EventStore<NewEvent>, reads: number[]): EventStore<NewEvent> {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property)
      if (property === 'readAll') {
        return (options: { after: number; limit?: number }) => {
          reads.push(options.after)
          return target.readAll(options)
        }
      }
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}

/** Records what each subscription handled and applies it to an idempotent sink keyed by position. */
class Recorder {
  private readonly byId = new Map<string, number[]>()
  /** The effective result: position → event id, written once per position. */
  readonly sink = new Map<number, string>()
  private inFlight = 0
  maxInFlight = 0

  /** A handler that also checks no other handler runs at the same time. */
  handler(id: string): BatchHandler {
    return async (events) => {
      this.inFlight++
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
      try {
        this.apply(id, events)
        await sleep(2) // widen the window in which an overlap would show
      } finally {
        this.inFlight--
      }
    }
  }

  apply(id: string, events: readonly StoredEvent[]): void {
    const list = this.byId.get(id) ?? []
    this.byId.set(id, list)
    for (const event of events) {
      list.push(event.position)
      if (!this.sink.has(event.position)) this.sink.set(event.position, event.event_id)
    }
  }

  handled(id: string): number[] {
    return this.byId.get(id) ?? []
  }

  total(): number {
    return [...this.byId.values()].reduce((sum, list) => sum + list.length, 0)
  }

  expectEffectivelyOnce(appended: readonly number[], head: number): void {
    const all = Array.from({ length: head }, (_, i) => i + 1)
    expect(this.maxInFlight).toBe(1)
    const handled = new Set([...this.byId.values()].flat())
    expect(all.filter((p) => !handled.has(p))).toEqual([])
    expect(appended.filter((p) => !handled.has(p))).toEqual([])
    expect([...this.sink.keys()]).toEqual(all)
    for (const list of this.byId.values()) expect(isStrictlyIncreasing(list)).toBe(true)
  }
}

function isStrictlyIncreasing(list: readonly number[]): boolean {
  return list.every((p, i) => i === 0 || p > (list[i - 1] as number))
}

/** Appends an event every few milliseconds until stopped; `stop` resolves to the head position. */
function startAppender(store: EventStore<NewEvent>) {
  const appended: number[] = []
  const state = { running: true }
  let n = 1000
  const done = (async () => {
    while (state.running) {
      const result = await store.append(`thing-${n % 4}`, [created(n++)], who)
      appended.push(result.position)
      await sleep(15)
    }
  })()
  return {
    appended,
    async stop(): Promise<number> {
      state.running = false
      await done
      return store.headPosition()
    },
  }
}

/** Samples how many subscriptions report `active` at once. */
function watchActive(subscriptions: readonly Subscription[]) {
  let maxActive = 0
  const timer = setInterval(() => {
    maxActive = Math.max(maxActive, subscriptions.filter((s) => s.active).length)
  }, 5)
  return {
    stop() {
      clearInterval(timer)
      return { maxActive }
    },
  }
}

/** A lease store whose holders never give a lease up (as after a crash), noting when each record was inserted. */
function withoutRelease(inner: LeaseStore) {
  const inserted = new Map<string, number>()
  const store: LeaseStore = {
    latest: (name) => inner.latest(name),
    async insert(record: LeaseRecord) {
      const ok = await inner.insert(record)
      if (ok) inserted.set(record._id, Date.now())
      return ok
    },
    update: (id, fields) => (fields.expires_at === 0 ? Promise.resolve() : inner.update(id, fields)),
    prune: (name, belowToken) => inner.prune(name, belowToken),
  }
  return { store, insertedAt: (id: string) => inserted.get(id) }
}

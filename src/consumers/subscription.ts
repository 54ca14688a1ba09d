import type { ReadEvent } from '../events/envelope.js'
import type { EventStore, ReadAllResult } from '../events/event-store.js'
import { finishesWithin } from '../shared/finishes-within.js'
import type { EventFeed } from './event-feed.js'
import { type HeldLease, LeaseLostError, type LeaseStore, acquireLease, holderId } from './leases.js'

/** Events handed to the handler at a time; the lease is renewed (and the checkpoint written, when due) between them. */
const CHUNK = 250

/**
 * How long the service's consumers (projections, the relay) let new events gather before
 * handling them: a few milliseconds of read-your-writes and feed latency for batches that
 * carry many events under load.
 */
export const CONSUMER_LINGER_MS = 20

/**
 * How often the service's consumers write their checkpoint while events keep coming (they
 * always write it when caught up, before a task between batches, and when stopping). Each
 * write is an update and a read of the lease record: written after every batch, it was two
 * of the three store commands per order at saturation, not counting the events' own insert
 * (measured on FerretDB, one instance: 0.57 of 1.51 PostgreSQL transactions per order).
 * A holder that dies re-handles at most this long's events, which handlers already allow.
 */
export const CONSUMER_CHECKPOINT_MS = 250

/**
 * Fail-over timing. A holder renews every TTL/3 (2 s) and stops writing 1 s before its expiry;
 * the others look every second. A holder that dies just after renewing is replaced at most
 * TTL + one look = 7 s later, and the new holder catches up from the shared feed in well
 * under a second: fail-over stays under 10 s. A holder that stops (SIGTERM) releases at once
 * and is replaced within one look (1 s).
 */
export const LEASE_TTL_MS = 6000
export const LEASE_ACQUIRE_EVERY_MS = 1000

/**
 * How long a stopping consumer waits for the store operation in hand (a batch's writes, the
 * final checkpoint, the lease's release) before it leaves without them — milliseconds on a
 * store that answers. On one that has stalled, the stop is not held: the lease passes on
 * when it expires and the successor re-handles from the last checkpoint, which handlers allow.
 */
export const CONSUMER_STOP_GRACE_MS = 1000

/** Processes one batch of events in position order; must be idempotent (a batch can be replayed). */
export type BatchHandler = (events: ReadEvent[], lease: HeldLease) => Promise<void>

export interface SubscriptionOptions {
  /** Consumer name: also the lease and checkpoint name. */
  name: string
  store: EventStore
  leases: LeaseStore
  /** This process's shared reader of the store (see `event-feed.ts`); without one, the subscription polls the store itself. */
  feed?: EventFeed
  handle: BatchHandler
  /** Identifies this process in the lease (default: a random id). */
  holder?: string
  batchSize?: number
  /** How often to look for new events when not woken (default 250 ms). */
  pollMs?: number
  /** Once new events arrive, how long to wait for more before handling them as one batch (default 0). */
  lingerMs?: number
  /**
   * While events keep coming, write the checkpoint at most this often (default 0: after every
   * batch). It is written in any case once caught up, before an `exclusive` task, and on stop;
   * a holder that dies in between leaves its successor to re-handle what followed it.
   */
  checkpointMs?: number
  /** Runs whenever the holder has caught up, before it sleeps (errors go to `onError`; the lease is kept). */
  onIdle?: (lease: HeldLease) => Promise<void>
  /** How often to try for the lease while another instance holds it (default 1 s). */
  acquireEveryMs?: number
  leaseTtlMs?: number
  /** Registers a wake-up for new events (e.g. the event store's `onAppended`); returns an unsubscribe. */
  wake?: (listener: () => void) => () => void
  onError?: (error: unknown) => void
  now?: () => number
}

export interface Subscription {
  readonly name: string
  /** True while this process holds the lease and processes events. */
  readonly active: boolean
  /** The position handled while active (else the last checkpoint it saw). */
  readonly position: number
  /** Resolves true once `position` is handled (and, with `checkpointMs` 0, checkpointed), or false after `timeoutMs`. */
  waitFor(position: number, timeoutMs: number): Promise<boolean>
  /**
   * Runs `task` between two batches while this process holds the lease, and resolves with its
   * result; null, without running it, when this process does not hold the lease or loses it
   * first. Nothing else writes for this consumer meanwhile: a task's writes are fenced like a batch's.
   */
  exclusive<T>(task: (lease: HeldLease) => Promise<T>): Promise<T | null>
  /**
   * Stops after the batch in hand, checkpoints, and releases the lease; resolves false if that
   * took longer than `graceMs` (default: no bound) and was left to finish, or fail, unreported.
   */
  stop(graceMs?: number): Promise<boolean>
}

/**
 * The catch-up subscription (DESIGN §5), one mechanism for every consumer: take the
 * consumer's lease, read `readAll` from its checkpoint in position order, hand each batch
 * to the handler, checkpoint, repeat; once caught up, poll (woken early by `wake`).
 * Losing the lease (expiry, a takeover) sends it back to waiting for the lease.
 */
export function startSubscription(options: SubscriptionOptions): Subscription {
  const holder = options.holder ?? holderId('process', options.name)
  const batchSize = options.batchSize ?? 500
  const pollMs = options.pollMs ?? 250
  const lingerMs = options.lingerMs ?? 0
  const checkpointMs = options.checkpointMs ?? 0
  const acquireEveryMs = options.acquireEveryMs ?? LEASE_ACQUIRE_EVERY_MS
  const ttlMs = options.leaseTtlMs ?? LEASE_TTL_MS
  const now = options.now ?? Date.now

  const state = { stopping: false }
  /** Read through a call: the flag changes while this function awaits. */
  const stopped = () => state.stopping
  let current: HeldLease | null = null
  let position = 0
  let wakeUp: (() => void) | undefined
  const waiters = new Set<() => void>()
  /** Tasks waiting for the gap between two batches (`exclusive`). */
  const between: { run(lease: HeldLease): Promise<void>; skip(): void }[] = []
  // A wake-up lands after the current turn of the event loop, so appends that complete
  // together are read as one batch instead of one batch each.
  const unsubscribe = options.wake?.(() => {
    const wake = wakeUp
    if (wake) setImmediate(wake)
  })

  /** Sleeps up to `ms`, ending early on a wake-up, a stop, or `until` settling. */
  const pause = (ms: number, until?: Promise<void>) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        if (wakeUp === done) wakeUp = undefined
        resolve()
      }
      wakeUp = done
      void until?.then(done)
    })

  const advanced = (next: number) => {
    position = next
    for (const waiter of waiters) waiter()
  }

  async function runBetween(lease: HeldLease): Promise<void> {
    for (let task = between.shift(); task; task = between.shift()) {
      if (!lease.valid()) {
        task.skip()
        throw new LeaseLostError(lease.name)
      }
      await task.run(lease)
    }
  }

  const read = (after: number): Promise<ReadAllResult> => {
    const result = options.feed ? options.feed.read(after, batchSize) : options.store.readAll({ after, limit: batchSize })
    // Read ahead, it may be dropped unread (the lease lost, a stop): its failure must not go unhandled.
    result.catch(() => undefined)
    return result
  }

  async function holdAndProcess(lease: HeldLease): Promise<void> {
    /** The next batch, being read while this one is handled. */
    let ahead: { after: number; result: Promise<ReadAllResult> } | undefined
    current = lease
    advanced(lease.position)
    let renewedAt = now()
    let checkpointedAt = now()
    const keepLease = async () => {
      if (now() - renewedAt < ttlMs / 3) return
      await lease.renew()
      renewedAt = now()
    }
    /** Stores the checkpoint `handled` (default: what has been handled), if the lease record is behind it. */
    const saveCheckpoint = async (handled = position) => {
      if (handled > lease.position) await lease.checkpoint(handled)
      checkpointedAt = now()
    }
    while (!state.stopping) {
      await keepLease()
      if (between.length > 0) {
        await saveCheckpoint()
        await runBetween(lease)
      }
      const { events } = await (ahead?.after === position ? ahead.result : read(position))
      ahead = undefined
      if (events.length === 0) {
        // Caught up. Under load that is between every two batches, so the checkpoint still
        // waits out its interval: sleep no longer than that, and write it on the next pass.
        const checkpointIn = position > lease.position ? checkpointMs - (now() - checkpointedAt) : Infinity
        if (checkpointIn <= 0) await saveCheckpoint()
        await options.onIdle?.(lease).catch((error: unknown) => options.onError?.(error))
        // Sleep until there is more (or a stop, or time to renew the lease or checkpoint), then
        // let a few milliseconds' worth gather: under load a batch then carries many events, not one.
        const sleepMs = Math.min(ttlMs / 3, Math.max(0, checkpointIn))
        const { feed } = options
        await (feed ? pause(sleepMs, feed.waitBeyond(position, sleepMs)) : pause(Math.min(pollMs, sleepMs)))
        if (lingerMs > 0 && !stopped()) await pause(lingerMs)
        continue
      }
      // A full batch means more is waiting (a catch-up, a rebuild): read the next batch while
      // this one is handled, so the store's reading and writing overlap instead of alternating.
      const end = events.at(-1)?.position ?? position
      if (events.length === batchSize) ahead = { after: end, result: read(end) }
      // Work between two renewals is bounded by one chunk, so a slow store (a long catch-up
      // under load) does not outlive the lease; a handler that hangs still loses it.
      for (let i = 0; i < events.length && !stopped(); i += CHUNK) {
        const chunk = events.slice(i, i + CHUNK)
        if (!lease.valid()) throw new LeaseLostError(lease.name)
        await options.handle(chunk, lease)
        const last = chunk.at(-1)?.position ?? position
        // When due, stored before it counts as reached: `waitFor` then also means "checkpointed".
        if (now() - checkpointedAt >= checkpointMs) await saveCheckpoint(last)
        advanced(last)
        await keepLease()
      }
      // With an in-memory store every step above is a resolved promise: during a long
      // catch-up (full batches), yield to I/O between batches or it would hold the event loop.
      if (events.length === batchSize) await new Promise((resolve) => setImmediate(resolve))
    }
    // Stopping: the successor starts where this holder got to.
    await saveCheckpoint()
  }

  const running = (async () => {
    while (!state.stopping) {
      let lease: HeldLease | null = null
      try {
        lease = await acquireLease(options.leases, options.name, { holder, ttlMs, now })
        if (!lease) {
          const latest = await options.leases.latest(options.name)
          if (latest) advanced(Math.max(position, latest.position))
          await pause(acquireEveryMs)
          continue
        }
        await holdAndProcess(lease)
      } catch (error) {
        // Once stopping, a failure is the stop cutting off an operation (the store closing under it).
        if (stopped()) break
        if (!(error instanceof LeaseLostError)) options.onError?.(error)
        await pause(acquireEveryMs)
      } finally {
        current = null
        for (const task of between.splice(0)) task.skip()
        if (lease && stopped()) await lease.release().catch(() => undefined)
      }
    }
  })()

  return {
    name: options.name,
    get active() {
      return current?.valid() ?? false
    },
    get position() {
      return position
    },
    waitFor(target: number, timeoutMs: number): Promise<boolean> {
      if (position >= target) return Promise.resolve(true)
      return new Promise((resolve) => {
        const check = () => {
          if (position < target) return
          cleanup()
          resolve(true)
        }
        const timer = setTimeout(() => {
          cleanup()
          resolve(false)
        }, timeoutMs)
        const cleanup = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
      })
    },
    exclusive<T>(task: (lease: HeldLease) => Promise<T>): Promise<T | null> {
      if (!current?.valid()) return Promise.resolve(null)
      return new Promise<T | null>((resolve, reject) => {
        between.push({
          run: (lease) => task(lease).then(resolve, reject),
          skip: () => {
            resolve(null)
          },
        })
        wakeUp?.()
      })
    },
    async stop(graceMs = Infinity) {
      state.stopping = true
      wakeUp?.()
      unsubscribe?.()
      return finishesWithin(running, graceMs)
    },
  }
}

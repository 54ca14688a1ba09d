import type { ReadEvent } from '../events/envelope.js'
import type { EventStore, ReadAllResult } from '../events/event-store.js'
import { lowerBound } from '../shared/lower-bound.js'

/** How long events seen missing may take to arrive by notification before the store is read for them. */
const NOTIFICATION_GRACE_MS = 50

export interface EventFeedOptions {
  store: EventStore
  /** Registers for the events other instances stored (their notifications; may miss some); returns an unsubscribe. */
  received?: (listener: (events: readonly ReadEvent[]) => void) => () => void
  /** Recent events kept in memory for consumers that are caught up (default 2 000). */
  windowSize?: number
  /** Reads the store at most every `minPollMs` (at once when events are missing), else backing off to `maxPollMs` while idle. */
  minPollMs?: number
  maxPollMs?: number
  onError?: (error: unknown) => void
}

export interface EventFeed {
  /** Events after `after` in position order: from memory when it holds them, else from the store. */
  read(after: number, limit: number): Promise<ReadAllResult>
  /** Resolves once an event after `position` is known here, or after `ms`. */
  waitBeyond(position: number, ms: number): Promise<void>
  /** The last position this process knows to be stored, with nothing missing before it. */
  readonly head: number
  /** Makes the feed look for new events now (e.g. another instance said it appended). */
  poke(): void
  /**
   * Calls `listener` with every event the feed learns from now on, in order, and keeps the
   * feed reading the store (with its back-off) for as long as it is followed. Returns an unfollow.
   */
  follow(listener: (events: readonly ReadEvent[]) => void): () => void
  /**
   * Stops reading. A read in flight is not waited for (on a stalled MongoDB it could hang the
   * shutdown): it fails as the store closes under it, which is not reported.
   */
  stop(): void
}

/**
 * The one reader of the event store per process, shared by every consumer (projections, the
 * relay): it keeps the newest events in memory, taking this process's own commits as they are
 * stored and other instances' from their notifications, and reading the store only for what
 * neither brought (a lost message, an instance without Redis) — when events are seen to be
 * missing, or on a poll that backs off while nothing happens. A consumer that has fallen
 * further behind than the window reads the store directly. Positions are gap-free, so the
 * window only ever grows at its end: an event arriving beyond a gap waits until the store
 * has been read up to it.
 */
export function startEventFeed(options: EventFeedOptions): EventFeed {
  const { store } = options
  const windowSize = options.windowSize ?? 2000
  const minPollMs = options.minPollMs ?? 100
  const maxPollMs = options.maxPollMs ?? 2000

  /** Contiguous events ending at `head`. */
  let window: ReadEvent[] = []
  let head = 0
  /** This process's commits that arrived beyond a gap, by first position. */
  const ahead = new Map<number, ReadEvent[]>()
  const waiters = new Set<{ position: number; done: () => void }>()
  const followers = new Set<(events: readonly ReadEvent[]) => void>()
  let stopped = false
  let started = false
  let polling: Promise<void> | undefined
  let again = false
  let pollMs = minPollMs
  let timer: NodeJS.Timeout | undefined
  let lastReadAt = 0
  let readWanted = false

  function extend(events: readonly ReadEvent[]): void {
    const from = window.length
    for (const event of events) {
      if (event.position !== head + 1) continue
      window.push(event)
      head = event.position
    }
    if (window.length > from && followers.size > 0) {
      const added = window.slice(from)
      for (const follower of followers) follower(added)
    }
    for (const [position, commit] of ahead) {
      if (position === head + 1) {
        ahead.delete(position)
        extend(commit)
        return
      }
      if (position <= head) ahead.delete(position)
    }
    if (window.length > windowSize * 2) window = window.slice(-windowSize)
    for (const waiter of waiters) if (head > waiter.position) waiter.done()
  }

  /**
   * Commits stored here or elsewhere, in position order (one notification can hold several,
   * with other instances' commits between them): each contiguous run is taken if it is
   * next, else kept until what comes before is known.
   */
  function offer(events: readonly ReadEvent[]): void {
    if (!started) return
    let from = 0
    for (let i = 1; i <= events.length; i++) {
      if (i < events.length && events[i]?.position === (events[i - 1]?.position ?? 0) + 1) continue
      offerRun(events.slice(from, i))
      from = i
    }
  }

  function offerRun(run: ReadEvent[]): void {
    const first = run[0]
    if (!first) return
    if (first.position === head + 1) extend(run)
    else if (first.position > head + 1) {
      ahead.set(first.position, run)
      // Positions in between: their message may still come, else the store has them.
      if (!stopped) void poll(false)
    }
  }
  const unsubscribeLocal = store.onAppended(offer)
  /** Another instance's notification came since the last read: the read's findings were on their way anyway. */
  let heard = false
  const unsubscribeReceived = options.received?.((events) => {
    heard = true
    offer(events)
  })

  /**
   * Reads the store from `head` until it has nothing more; one read at a time. `needed`
   * false: only for events missing before a commit that arrived early — skipped if their
   * notifications came meanwhile.
   */
  function poll(needed = true): Promise<void> {
    readWanted ||= needed
    if (polling) {
      again = true
      return polling
    }
    polling = (async () => {
      do {
        again = false
        // At most one read per `minPollMs`; for events seen missing, first a moment for their
        // notifications, which usually bring them.
        const spacing = lastReadAt + minPollMs - Date.now()
        const wait = readWanted ? spacing : Math.max(spacing, NOTIFICATION_GRACE_MS)
        if (started && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
        if (started && !readWanted && ahead.size === 0) continue
        readWanted = false
        lastReadAt = Date.now()
        const notified = heard
        heard = false
        try {
          if (!started) {
            head = await store.headPosition()
            started = true
            again = true
            continue
          }
          let found = 0
          for (;;) {
            const { events } = await store.readAll({ after: head, limit: 500 })
            extend(events)
            found += events.length
            if (events.length < 500) break
          }
          // Back off while the store has nothing this process did not already know, or only
          // what notifications are bringing (under load a read always finds the newest
          // commits a moment before their messages): polls are for what no message brings, and
          // a lost message in a flow of them shows as a gap. On FerretDB every read is a scan.
          pollMs = found > 0 && !notified ? minPollMs : Math.min(maxPollMs, pollMs * 2)
        } catch (error) {
          if (!stopped) options.onError?.(error) // (once stopped, the store closing under the read)
          pollMs = maxPollMs
        }
      } while (again && !stopped)
      polling = undefined
      schedule()
    })()
    return polling
  }

  /**
   * The next poll, only while a consumer waits for events beyond the head or follows the feed.
   * A poll already due is never put off: consumers wait in turns as long as the longest
   * back-off, so re-arming on each wait would postpone it for ever, and commits that bring no
   * notification (a lost message, a writer without Redis) would never be read.
   */
  function schedule(): void {
    if (stopped || timer !== undefined || (waiters.size === 0 && followers.size === 0)) return
    timer = setTimeout(() => {
      timer = undefined
      void poll()
    }, pollMs)
  }

  function poke(): void {
    pollMs = minPollMs
    if (!stopped) void poll()
  }

  return {
    get head() {
      return head
    },
    async read(after, limit) {
      if (!started) await poll()
      if (after >= head) return { events: [], position: after }
      const first = window[0]
      if (first && after >= first.position - 1) {
        const from = lowerBound(window, (event) => event.position > after)
        const events = window.slice(from, from + limit)
        return { events, position: events.at(-1)?.position ?? after }
      }
      return store.readAll({ after, limit })
    },
    waitBeyond(position, ms) {
      if (head > position && started) return Promise.resolve()
      return new Promise((resolve) => {
        const waiter = {
          position,
          done: () => {
            clearTimeout(timeout)
            waiters.delete(waiter)
            resolve()
          },
        }
        const timeout = setTimeout(waiter.done, ms)
        waiters.add(waiter)
        if (!polling) schedule()
      })
    },
    poke,
    follow(listener) {
      followers.add(listener)
      if (!polling) schedule()
      return () => {
        followers.delete(listener)
      }
    },
    stop() {
      stopped = true
      clearTimeout(timer)
      unsubscribeLocal()
      unsubscribeReceived?.()
      for (const waiter of waiters) waiter.done()
    },
  }
}

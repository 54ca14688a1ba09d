import { expect, it } from 'vitest'
import { startEventFeed } from '../../src/consumers/event-feed.js'
import { createEventStore } from '../../src/events/event-store.js'
import { MemoryCommitLog } from '../../src/events/memory-commit-log.js'
import type { ReadEvent } from '../../src/events/envelope.js'
import { orderEvents } from '../support/projections/history.js'
import { eventually, sleep } from '../support/wait.js'

it('reads a commit that brought no notification while consumers take turns waiting as long as its back-off', async () => {
  const log = new MemoryCommitLog()
  const feed = startEventFeed({ store: createEventStore(log, { source: 'here' }), minPollMs: 10, maxPollMs: 200 })
  const elsewhere = createEventStore(log, { source: 'elsewhere' }) // its commits reach this feed only by a read
  await feed.read(0, 10)
  let stopped = false
  // Four consumers (projections, the relay), each waiting 200 ms at a time, at staggered moments.
  const consumers = [0, 50, 100, 150].map(async (offset) => {
    await sleep(offset)
    while (!stopped) await feed.waitBeyond(feed.head, 200)
  })
  try {
    await sleep(1000) // the poll has backed off to its longest
    await elsewhere.append('order-ORD-00001', [orderEvents.created('ORD-00001', 'rep@test.local', { 'SKU-A': 1 })], {
      actor: 'rep@test.local',
      correlationId: 'elsewhere',
    })
    await eventually('the feed to read the commit', () => feed.head === 1, 1000)
  } finally {
    stopped = true
    await Promise.all(consumers)
    feed.stop()
  }
  expect(feed.head).toBe(1)
})

it('backs off its polls while notifications bring every commit, though each read finds commits a moment before their message', async () => {
  const { log, feed, announce, reads } = notifiedFeed(400)
  const elsewhere = createEventStore(log, { source: 'elsewhere' })
  // Another instance's commits, each announced 15 ms after it is stored (a message in flight).
  elsewhere.onAppended((events) => {
    setTimeout(() => {
      announce(events)
    }, 15)
  })
  const unfollow = feed.follow(() => undefined)
  await feed.read(0, 10)
  reads.count = 0
  for (let n = 1; n <= 80; n++) {
    const id = `ORD-${String(n).padStart(5, '0')}`
    await elsewhere.append(`order-${id}`, [orderEvents.created(id, 'rep@test.local', { 'SKU-A': 1 })], {
      actor: 'rep@test.local',
      correlationId: 'elsewhere',
    })
    await sleep(10)
  }
  await eventually('the feed to hold every commit', () => feed.head === 80, 2000)
  unfollow()
  feed.stop()
  // Polling every 10 ms would read about 90 times; backing off to 400 ms, a handful.
  expect(reads.count).toBeLessThan(15)
})

it('takes a notification holding several commits with a gap between them run by run, without reading the store', async () => {
  const { log, feed, announce, reads } = notifiedFeed(10_000)
  await feed.read(0, 10)
  reads.count = 0
  const elsewhere = createEventStore(log, { source: 'elsewhere' })
  const stored: ReadEvent[] = []
  for (let n = 1; n <= 5; n++) {
    const id = `ORD-${String(n).padStart(5, '0')}`
    const { events } = await elsewhere.append(`order-${id}`, [orderEvents.created(id, 'rep@test.local', { 'SKU-A': 1 })], {
      actor: 'rep@test.local',
      correlationId: 'elsewhere',
    })
    stored.push(...events)
  }
  // Instance A's batch (positions 1, 2, 4, 5), with instance B's commit 3 between its commits.
  announce([stored[0], stored[1], stored[3], stored[4]].flatMap((e) => (e ? [e] : [])))
  expect(feed.head).toBe(2)
  announce(stored.slice(2, 3)) // B's message, a moment later (within the grace before a read)
  expect(feed.head).toBe(5)
  expect((await feed.read(0, 10)).events.map((e) => e.position)).toEqual([1, 2, 3, 4, 5])
  await sleep(100)
  feed.stop()
  expect(reads.count).toBe(0)
})

it('stops without waiting for a read in flight, whose failure as the store closes under it is not reported', async () => {
  const log = new MemoryCommitLog()
  const store = createEventStore(log, { source: 'here' })
  const errors: unknown[] = []
  const feed = startEventFeed({ store, onError: (error) => errors.push(error), minPollMs: 10, maxPollMs: 10_000 })
  await feed.read(0, 10)
  let closeStore!: () => void
  const closing = new Promise<void>((resolve) => (closeStore = resolve))
  let failed!: () => void
  const readFailed = new Promise<void>((resolve) => (failed = resolve))
  let reading = false
  store.readAll = async () => {
    reading = true
    await closing
    setImmediate(failed)
    throw new Error('Operation interrupted because client was closed')
  }
  feed.poke()
  await eventually('a read in flight', () => reading, 1000)
  feed.stop() // (a stalled MongoDB must not hold the shutdown: the read is not waited for)
  closeStore()
  await readFailed
  expect(errors).toEqual([])
})

/** A feed on a memory log whose store reads are counted, with notifications delivered by `announce`. */
function notifiedFeed(maxPollMs: number) {
  const log = new MemoryCommitLog()
  const store = createEventStore(log, { source: 'here' })
  const reads = { count: 0 }
  const readAll = store.readAll.bind(store)
  store.readAll = (options) => {
    reads.count++
    return readAll(options)
  }
  const listeners = new Set<(events: readonly ReadEvent[]) => void>()
  const feed = startEventFeed({
    store,
    received: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    minPollMs: 10,
    maxPollMs,
  })
  const announce = (events: readonly ReadEvent[]) => {
    for (const listener of listeners) listener(events)
  }
  return { log, feed, announce, reads }
}

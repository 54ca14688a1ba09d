import { expect, it } from 'vitest'
import { startEventFeed } from '../../src/consumers/event-feed.js'
import { createEventStore } from '../../src/events/event-store.js'
import { MemoryCommitLog } from '../../src/events/memory-commit-log.js'
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

import type { FeedEntry } from '../src/realtime/feed-stream.js'
import { MemoryFeedStream } from '../src/realtime/memory-feed-stream.js'
import { startBenchServer } from './http.js'
import type { MemoryProbe } from './orders-memory-server.js'
import { printTable } from './report.js'

const TARGET_BYTES_PER_ORDER = 1536
const MB = 1024 * 1024
const count = (n: number) => n.toLocaleString('en-US')

/** Heap retained per order at 100 000 orders and RSS across three rebuilds of orders (embedded, after full GCs). */
export async function benchEmbeddedMemory(): Promise<void> {
  const server = await startBenchServer('bench/orders-memory-server.ts', {}, ['--expose-gc'])
  const probe = server.hello as MemoryProbe
  await server.stop()
  const perOrder = (probe.heapAfter - probe.heapBefore) / probe.orders
  const orders = count(probe.orders)
  printTable(`Embedded memory at ${orders} orders (heapUsed / RSS after global.gc(), every consumer caught up)`, [
    {
      what: `heap retained per order (${orders} orders placed through orderCommands.place in ${(probe.placeMs / 1000).toFixed(1)} s)`,
      figure: `${Math.round(perOrder).toLocaleString('en-US')} B/order`,
      baseline: `target <= ${TARGET_BYTES_PER_ORDER.toLocaleString('en-US')} B/order`,
      ratio: perOrder / TARGET_BYTES_PER_ORDER,
    },
    {
      what: `RSS after three rebuilds of orders (each until live: ${probe.rebuildMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}); heap ${(probe.heapAfter / MB).toFixed(0)} → ${(probe.heapAfterRebuilds / MB).toFixed(0)} MB`,
      figure: `${(probe.rssAfterRebuilds / MB).toFixed(0)} MB`,
      baseline: `${(probe.rssBeforeRebuilds / MB).toFixed(0)} MB before`,
      ratio: probe.rssAfterRebuilds / probe.rssBeforeRebuilds,
    },
  ])
}

const FEED_MAX_LENGTH = 100_000
const FEED_APPENDS = 200_000

/** One-entry appends to the embedded feed: while it fills to its MAXLEN, then once every append also trims. */
export async function benchEmbeddedFeed(): Promise<void> {
  const feed = new MemoryFeedStream()
  const metadata = { timestamp: new Date().toISOString(), source: 'bench', actor: 'bench', correlation_id: 'bench' }
  const entry = (position: number): FeedEntry => ({
    position,
    event: { event_id: `evt_${position}`, type: 'order.placed', data: {}, metadata, position },
  })
  const appendRange = async (from: number, to: number) => {
    const start = performance.now()
    for (let position = from; position <= to; position++) await feed.append([entry(position)], FEED_MAX_LENGTH)
    return ((performance.now() - start) * 1000) / (to - from + 1)
  }
  const filling = await appendRange(1, FEED_MAX_LENGTH)
  const full = await appendRange(FEED_MAX_LENGTH + 1, FEED_APPENDS)
  printTable('Embedded feed (MemoryFeedStream), one entry per append', [
    {
      what: `appends ${count(FEED_MAX_LENGTH + 1)}–${count(FEED_APPENDS)} with MAXLEN ${count(FEED_MAX_LENGTH)} (full: each append trims)`,
      figure: `${full.toFixed(2)} µs/append`,
      baseline: `${filling.toFixed(2)} µs/append while filling`,
      ratio: full / filling,
    },
  ])
}

import type { CommitLog } from '../../src/events/commit-log.js'
import { createEventStore } from '../../src/events/event-store.js'
import { HOUR_MS } from '../../src/jobs/reconcile-summaries.js'
import type { SummaryRow } from '../../src/projections/summaries-projection.js'
import { orderEvents } from './projections/history.js'
import { bruteForceRows } from './projections/summary-oracle.js'

/**
 * Orders stamped at chosen times (the event store's clock is a test seam), appended to the
 * commit log a service reads — the way to have orders "in the last closed hour" now.
 */
export function orderHistory(commitLog: CommitLog) {
  let clock = 0
  const store = createEventStore(commitLog, { source: 'history', now: () => new Date(clock) })
  const context = { actor: 'history@test.local', correlationId: 'history' }
  return {
    store,
    /** `order_id` created by `salesRep` at `at` with `lines` ({SKU-A: 2}, …, of the spec catalogue). */
    async created(orderId: string, salesRep: string, lines: Record<string, number>, at: number): Promise<number> {
      clock = at
      const event = orderEvents.created(orderId, salesRep, lines)
      return (await store.append(`order-${orderId}`, [event], { ...context, expectedVersion: 'no_stream' })).position
    },
    async cancelled(orderId: string, at: number): Promise<number> {
      clock = at
      const event = orderEvents.cancelled(orderId, 'the customer changed their mind')
      return (await store.append(`order-${orderId}`, [event], { ...context, expectedVersion: 'stream_exists' })).position
    },
    /** The summary rows of the hour starting at `hourStart`, recomputed from every event by the test oracle. */
    async expectedRows(hourStart: number): Promise<SummaryRow[]> {
      const { events } = await store.readAll({ after: 0, limit: 100_000 })
      return bruteForceRows(events).filter((row) => row.bucket >= hourStart && row.bucket < hourStart + HOUR_MS)
    },
  }
}

import { describe, it } from 'vitest'
import { ALL_SKUS, type SummaryCounters } from '../../../src/projections/summaries-projection.js'
import { monthOf } from '../../../src/shared/quarter-hours.js'
import type { ContractContext } from './context.js'
import { SUMMARIES } from './harness.js'
import { SKU_A, SKU_B, SKU_C, at, orderEvents, skuEvents } from './history.js'
import { zero } from './summary-oracle.js'

/** The summaries read model, given/when/then: counters per quarter hour, rep and SKU. */
export function describeSummariesProjection({ freshFixtureEachTest, projectionSpec }: ContractContext): void {
  describe('summaries projection', () => {
    const fixture = freshFixtureEachTest()
    const spec = projectionSpec(SUMMARIES, fixture)
    const row = (iso: string, sales_rep: string, sku: string, last_position: number, counters: Partial<SummaryCounters>) => {
      const bucket = Date.parse(iso)
      const key = { bucket, currency: 'INR', sales_rep, sku }
      return { _id: `${bucket}|INR|${sales_rep}|${sku}`, last_position, ...key, month: monthOf(bucket), ...zero(), ...counters }
    }

    it('rows per quarter hour × rep × SKU plus the order-level "*" row; cancellations count in the bucket of creation', async () => {
      await spec
        .given(
          at('2024-03-01T08:00:00.000Z', skuEvents.created(SKU_A)),
          at('2024-03-01T08:00:01.000Z', skuEvents.created(SKU_B)),
          at('2024-03-01T08:00:02.000Z', skuEvents.created(SKU_C)),
          // 09:00 bucket, alice: two orders, one cancelled the next day
          at('2024-03-01T09:05:00.000Z', orderEvents.created('ORD-00001', 'alice@example.com', { 'SKU-A': 2, 'SKU-B': 1 })),
          at('2024-03-01T09:14:59.999Z', orderEvents.created('ORD-00002', 'alice@example.com', { 'SKU-B': 4 })),
          // 09:15 bucket: alice once, bob once (cancelled two hours later)
          at('2024-03-01T09:15:00.000Z', orderEvents.created('ORD-00003', 'alice@example.com', { 'SKU-C': 3 })),
          at('2024-03-01T09:20:00.000Z', orderEvents.created('ORD-00004', 'bob@example.com', { 'SKU-A': 1, 'SKU-C': 1 })),
          at('2024-03-01T09:30:00.000Z', orderEvents.confirmed('ORD-00001')),
          at('2024-03-01T10:00:00.000Z', skuEvents.updated('SKU-A', { unit_price: 1 })),
          at('2024-03-01T11:40:00.000Z', orderEvents.cancelled('ORD-00004', 'duplicate')),
          at('2024-03-02T10:00:00.000Z', orderEvents.cancelled('ORD-00002', 'out of budget')),
        )
        .then([
          row('2024-03-01T09:00:00.000Z', 'alice@example.com', ALL_SKUS, 11, {
            order_count: 2,
            items_sold: 7,
            subtotal: 32_750,
            tax_amount: 4_238,
            total_amount: 36_988,
            cancelled_count: 1,
            cancelled_amount: 10_710,
          }),
          row('2024-03-01T09:00:00.000Z', 'alice@example.com', 'SKU-A', 4, {
            order_count: 1,
            items_sold: 2,
            subtotal: 20_000,
            tax_amount: 3_600,
            total_amount: 23_600,
          }),
          row('2024-03-01T09:00:00.000Z', 'alice@example.com', 'SKU-B', 11, {
            order_count: 2,
            items_sold: 5,
            subtotal: 12_750,
            tax_amount: 638,
            total_amount: 13_388,
            cancelled_count: 1,
            cancelled_amount: 10_710,
          }),
          row('2024-03-01T09:15:00.000Z', 'alice@example.com', ALL_SKUS, 6, {
            order_count: 1,
            items_sold: 3,
            subtotal: 2_997,
            total_amount: 2_997,
          }),
          row('2024-03-01T09:15:00.000Z', 'alice@example.com', 'SKU-C', 6, {
            order_count: 1,
            items_sold: 3,
            subtotal: 2_997,
            total_amount: 2_997,
          }),
          row('2024-03-01T09:15:00.000Z', 'bob@example.com', ALL_SKUS, 10, {
            order_count: 1,
            items_sold: 2,
            subtotal: 10_999,
            tax_amount: 1_800,
            total_amount: 12_799,
            cancelled_count: 1,
            cancelled_amount: 12_799,
          }),
          row('2024-03-01T09:15:00.000Z', 'bob@example.com', 'SKU-A', 10, {
            order_count: 1,
            items_sold: 1,
            subtotal: 10_000,
            tax_amount: 1_800,
            total_amount: 11_800,
            cancelled_count: 1,
            cancelled_amount: 11_800,
          }),
          row('2024-03-01T09:15:00.000Z', 'bob@example.com', 'SKU-C', 10, {
            order_count: 1,
            items_sold: 1,
            subtotal: 999,
            total_amount: 999,
            cancelled_count: 1,
            cancelled_amount: 999,
          }),
        ])
    })

    it('a cancellation in a later month still counts against the creation bucket', async () => {
      await spec
        .given(
          at('2024-02-29T23:59:59.999Z', orderEvents.created('ORD-00001', 'alice@example.com', { 'SKU-B': 1 })),
          at('2024-03-01T00:00:00.000Z', orderEvents.created('ORD-00002', 'alice@example.com', { 'SKU-B': 2 })),
          at('2024-03-01T00:00:00.001Z', orderEvents.cancelled('ORD-00001', 'too late')),
        )
        .then([
          row('2024-02-29T23:45:00.000Z', 'alice@example.com', ALL_SKUS, 3, {
            order_count: 1,
            items_sold: 1,
            subtotal: 2_550,
            tax_amount: 128,
            total_amount: 2_678,
            cancelled_count: 1,
            cancelled_amount: 2_678,
          }),
          row('2024-02-29T23:45:00.000Z', 'alice@example.com', 'SKU-B', 3, {
            order_count: 1,
            items_sold: 1,
            subtotal: 2_550,
            tax_amount: 128,
            total_amount: 2_678,
            cancelled_count: 1,
            cancelled_amount: 2_678,
          }),
          row('2024-03-01T00:00:00.000Z', 'alice@example.com', ALL_SKUS, 2, {
            order_count: 1,
            items_sold: 2,
            subtotal: 5_100,
            tax_amount: 255,
            total_amount: 5_355,
          }),
          row('2024-03-01T00:00:00.000Z', 'alice@example.com', 'SKU-B', 2, {
            order_count: 1,
            items_sold: 2,
            subtotal: 5_100,
            tax_amount: 255,
            total_amount: 5_355,
          }),
        ])
    })
  })
}

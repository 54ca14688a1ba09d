import { describe, it } from 'vitest'
import type { ContractContext } from './context.js'
import { ORDERS } from './harness.js'
import { type CatalogEntry, SKU_A, SKU_B, at, orderEvents, skuEvents } from './history.js'
import { quarterHourOf } from '../../../src/shared/quarter-hours.js'

/** A priced order line as the orders read model shows it. */
const lineOf = (entry: CatalogEntry, quantity: number, line_subtotal: number, line_tax: number) => ({
  ...entry,
  quantity,
  line_subtotal,
  line_tax,
  line_total: line_subtotal + line_tax,
})

/** The orders read model, given/when/then: each order's lifecycle as one document. */
export function describeOrdersProjection({ freshFixtureEachTest, projectionSpec }: ContractContext): void {
  describe('orders projection', () => {
    const fixture = freshFixtureEachTest()
    const spec = projectionSpec(ORDERS, fixture)
    const catalogue = [
      at('2024-03-01T08:00:00.000Z', skuEvents.created(SKU_A)),
      at('2024-03-01T08:00:01.000Z', skuEvents.created(SKU_B)),
    ]

    it('created → confirmed → shipped (carrier, tracking number) → delivered', async () => {
      await spec
        .given(
          ...catalogue,
          at('2024-03-01T09:05:00.000Z', orderEvents.created('ORD-00001', 'alice@example.com', { 'SKU-A': 2, 'SKU-B': 1 })),
          at('2024-03-01T10:00:00.000Z', orderEvents.confirmed('ORD-00001')),
          at('2024-03-01T12:30:00.000Z', orderEvents.shipped('ORD-00001', 'DHL', 'DHL-123456')),
          at('2024-03-02T08:15:00.000Z', orderEvents.delivered('ORD-00001')),
        )
        .then([
          {
            _id: 'ORD-00001',
            order_id: 'ORD-00001',
            number: 1,
            sales_rep: 'alice@example.com',
            customer: { name: 'ACME Ltd' },
            customer_keys: ['acme ltd'],
            items: [lineOf(SKU_A, 2, 20_000, 3_600), lineOf(SKU_B, 1, 2_550, 128)],
            currency: 'INR',
            subtotal: 22_550,
            tax_amount: 3_728,
            total_amount: 26_278,
            status: 'delivered',
            version: 4,
            position: 6,
            last_position: 6,
            created_position: 3,
            skus: ['SKU-A', 'SKU-B'],
            created_at: '2024-03-01T09:05:00.000Z',
            created_bucket: quarterHourOf(Date.parse('2024-03-01T09:05:00.000Z')),
            updated_at: '2024-03-02T08:15:00.000Z',
            confirmed_at: '2024-03-01T10:00:00.000Z',
            shipped_at: '2024-03-01T12:30:00.000Z',
            delivered_at: '2024-03-02T08:15:00.000Z',
            carrier: 'DHL',
            tracking_number: 'DHL-123456',
          },
        ])
    })

    it('created → cancelled with its reason, next to another rep’s order left confirmed', async () => {
      await spec
        .given(
          ...catalogue,
          at('2024-03-01T09:05:00.000Z', orderEvents.created('ORD-00001', 'alice@example.com', { 'SKU-B': 4 })),
          at('2024-03-01T09:06:00.000Z', orderEvents.created('ORD-00002', 'bob@example.com', { 'SKU-A': 1 })),
          at('2024-03-01T09:30:00.000Z', orderEvents.confirmed('ORD-00002')),
          at('2024-03-03T17:45:00.000Z', orderEvents.cancelled('ORD-00001', 'customer changed their mind')),
        )
        .then([
          {
            _id: 'ORD-00001',
            order_id: 'ORD-00001',
            number: 1,
            sales_rep: 'alice@example.com',
            customer: { name: 'ACME Ltd' },
            customer_keys: ['acme ltd'],
            items: [lineOf(SKU_B, 4, 10_200, 510)],
            currency: 'INR',
            subtotal: 10_200,
            tax_amount: 510,
            total_amount: 10_710,
            status: 'cancelled',
            version: 2,
            position: 6,
            last_position: 6,
            created_position: 3,
            skus: ['SKU-B'],
            created_at: '2024-03-01T09:05:00.000Z',
            created_bucket: quarterHourOf(Date.parse('2024-03-01T09:05:00.000Z')),
            updated_at: '2024-03-03T17:45:00.000Z',
            cancelled_at: '2024-03-03T17:45:00.000Z',
            cancel_reason: 'customer changed their mind',
          },
          {
            _id: 'ORD-00002',
            order_id: 'ORD-00002',
            number: 2,
            sales_rep: 'bob@example.com',
            customer: { name: 'ACME Ltd' },
            customer_keys: ['acme ltd'],
            items: [lineOf(SKU_A, 1, 10_000, 1_800)],
            currency: 'INR',
            subtotal: 10_000,
            tax_amount: 1_800,
            total_amount: 11_800,
            status: 'confirmed',
            version: 2,
            position: 5,
            last_position: 5,
            created_position: 4,
            skus: ['SKU-A'],
            created_at: '2024-03-01T09:06:00.000Z',
            created_bucket: quarterHourOf(Date.parse('2024-03-01T09:06:00.000Z')),
            updated_at: '2024-03-01T09:30:00.000Z',
            confirmed_at: '2024-03-01T09:30:00.000Z',
          },
        ])
    })

    it('shipped without carrier or tracking number has neither field; a just-created order keeps its notes', async () => {
      await spec
        .given(
          ...catalogue,
          at('2024-03-01T09:00:00.000Z', orderEvents.created('ORD-00001', 'alice@example.com', { 'SKU-A': 1 })),
          at(
            '2024-03-01T09:00:00.000Z',
            orderEvents.created('ORD-00002', 'bob@example.com', { 'SKU-B': 3, 'SKU-A': 5 }, { notes: 'leave at gate' }),
          ),
          at('2024-03-01T09:10:00.000Z', orderEvents.confirmed('ORD-00001')),
          at('2024-03-01T09:20:00.000Z', orderEvents.shipped('ORD-00001')),
        )
        .then([
          {
            _id: 'ORD-00001',
            order_id: 'ORD-00001',
            number: 1,
            sales_rep: 'alice@example.com',
            customer: { name: 'ACME Ltd' },
            customer_keys: ['acme ltd'],
            items: [lineOf(SKU_A, 1, 10_000, 1_800)],
            currency: 'INR',
            subtotal: 10_000,
            tax_amount: 1_800,
            total_amount: 11_800,
            status: 'shipped',
            version: 3,
            position: 6,
            last_position: 6,
            created_position: 3,
            skus: ['SKU-A'],
            created_at: '2024-03-01T09:00:00.000Z',
            created_bucket: quarterHourOf(Date.parse('2024-03-01T09:00:00.000Z')),
            updated_at: '2024-03-01T09:20:00.000Z',
            confirmed_at: '2024-03-01T09:10:00.000Z',
            shipped_at: '2024-03-01T09:20:00.000Z',
          },
          {
            _id: 'ORD-00002',
            order_id: 'ORD-00002',
            number: 2,
            sales_rep: 'bob@example.com',
            customer: { name: 'ACME Ltd' },
            customer_keys: ['acme ltd'],
            items: [lineOf(SKU_B, 3, 7_650, 383), lineOf(SKU_A, 5, 50_000, 9_000)],
            currency: 'INR',
            subtotal: 57_650,
            tax_amount: 9_383,
            total_amount: 67_033,
            notes: 'leave at gate',
            status: 'created',
            version: 1,
            position: 4,
            last_position: 4,
            created_position: 4,
            skus: ['SKU-B', 'SKU-A'],
            created_at: '2024-03-01T09:00:00.000Z',
            created_bucket: quarterHourOf(Date.parse('2024-03-01T09:00:00.000Z')),
            updated_at: '2024-03-01T09:00:00.000Z',
          },
        ])
    })

    it('writes nothing for SKU events, nor for events of an order it never saw created', async () => {
      await spec
        .given(
          ...catalogue,
          at('2024-03-01T09:00:00.000Z', skuEvents.deactivated('SKU-A', 'recalled')),
          at('2024-03-01T09:10:00.000Z', orderEvents.confirmed('ORD-00009')),
        )
        .then([])
    })
  })
}

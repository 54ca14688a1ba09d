import { describe, it } from 'vitest'
import type { ContractContext } from './context.js'
import { SKUS } from './harness.js'
import { SKU_A, SKU_B, SKU_C, at, orderEvents, skuEvents } from './history.js'

/** The SKUs read model, given/when/then: each SKU's catalogue entry and whether it is active. */
export function describeSkusProjection({ freshFixtureEachTest, projectionSpec }: ContractContext): void {
  describe('skus projection', () => {
    const fixture = freshFixtureEachTest()
    const spec = projectionSpec(SKUS, fixture)

    it('created; updated (only the fields that changed); deactivated with a reason; reactivated without it', async () => {
      await spec
        .given(
          at('2024-03-01T09:00:00.000Z', skuEvents.created(SKU_A)),
          at('2024-03-01T09:01:00.000Z', skuEvents.created(SKU_B)),
          at('2024-03-01T09:02:00.000Z', skuEvents.created(SKU_C)),
          at('2024-03-01T10:00:00.000Z', skuEvents.updated('SKU-A', { unit_price: 12_000 })),
          at('2024-03-01T10:30:00.000Z', skuEvents.updated('SKU-A', { name: 'Widget Pro', tax_rate_bp: 1200 })),
          at('2024-03-01T11:00:00.000Z', skuEvents.deactivated('SKU-B', 'discontinued')),
          at('2024-03-01T11:30:00.000Z', orderEvents.created('ORD-00001', 'alice@example.com', { 'SKU-C': 1 })),
          at('2024-03-01T12:00:00.000Z', skuEvents.deactivated('SKU-C', 'recalled')),
          at('2024-03-02T13:00:00.000Z', skuEvents.reactivated('SKU-B')),
          at('2024-03-02T14:00:00.000Z', skuEvents.deactivated('SKU-A')),
        )
        .then([
          {
            _id: 'SKU-A',
            sku: 'SKU-A',
            name: 'Widget Pro',
            unit_price: 12_000,
            currency: 'INR',
            tax_rate_bp: 1200,
            active: false,
            version: 4,
            position: 10,
            last_position: 10,
            created_position: 1,
            created_at: '2024-03-01T09:00:00.000Z',
            updated_at: '2024-03-02T14:00:00.000Z',
          },
          {
            _id: 'SKU-B',
            sku: 'SKU-B',
            name: 'Gadget',
            unit_price: 2_550,
            currency: 'INR',
            tax_rate_bp: 500,
            active: true,
            version: 3,
            position: 9,
            last_position: 9,
            created_position: 2,
            created_at: '2024-03-01T09:01:00.000Z',
            updated_at: '2024-03-02T13:00:00.000Z',
          },
          {
            _id: 'SKU-C',
            sku: 'SKU-C',
            name: 'Gizmo',
            unit_price: 999,
            currency: 'INR',
            tax_rate_bp: 0,
            active: false,
            deactivation_reason: 'recalled',
            version: 2,
            position: 8,
            last_position: 8,
            created_position: 3,
            created_at: '2024-03-01T09:02:00.000Z',
            updated_at: '2024-03-01T12:00:00.000Z',
          },
        ])
    })

    it('an update changing nothing known keeps every field but version, position and updated_at', async () => {
      await spec
        .given(
          at('2024-03-01T09:00:00.000Z', skuEvents.created(SKU_C)),
          at('2024-03-01T09:30:00.000Z', skuEvents.updated('SKU-C', {})),
        )
        .then([
          {
            _id: 'SKU-C',
            sku: 'SKU-C',
            name: 'Gizmo',
            unit_price: 999,
            currency: 'INR',
            tax_rate_bp: 0,
            active: true,
            version: 2,
            position: 2,
            last_position: 2,
            created_position: 1,
            created_at: '2024-03-01T09:00:00.000Z',
            updated_at: '2024-03-01T09:30:00.000Z',
          },
        ])
    })
  })
}

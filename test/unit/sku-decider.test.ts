import { describe, expect, it } from 'vitest'
import { type SkuCommand, type SkuDetails, skuDecider } from '../../src/commands/sku/decider.js'
import type { SkuEvent } from '../../src/events/catalog.js'
import { deciderSpec } from '../support/decider-spec.js'

const spec = deciderSpec(skuDecider)

const widget: SkuDetails = { sku: 'WIDGET-1', name: 'Widget', unit_price: 100_000, currency: 'INR', tax_rate_bp: 1800 }
const created: SkuEvent = { type: 'sku.created', data: widget }
const deactivated: SkuEvent = { type: 'sku.deactivated', data: { sku: 'WIDGET-1' } }
const reactivated: SkuEvent = { type: 'sku.reactivated', data: { sku: 'WIDGET-1' } }

const histories = {
  active: [created],
  inactive: [created, deactivated],
  'active again': [created, deactivated, reactivated],
} satisfies Record<string, SkuEvent[]>

describe('SKU decider', () => {
  describe('CreateSku', () => {
    it('creates a new SKU: sku.created with the given details', () => {
      spec.given([]).when({ type: 'CreateSku', data: widget }).then([created])
    })

    it.each(['active', 'inactive', 'active again'] as const)(
      'refuses to create a SKU that exists (%s): SKU.EXISTS',
      (history) => {
        const error = spec
          .given(histories[history])
          .when({ type: 'CreateSku', data: { ...widget, name: 'Other widget' } })
          .thenThrows('SKU.EXISTS')
        expect(error).toMatchObject({ kind: 'conflict' })
      },
    )
  })

  describe('UpdateSku', () => {
    it('records only the fields that really change', () => {
      spec
        .given([created])
        .when({
          type: 'UpdateSku',
          data: { sku: 'WIDGET-1', changes: { name: 'Widget', unit_price: 120_000, tax_rate_bp: 1800 } },
        })
        .then([{ type: 'sku.updated', data: { sku: 'WIDGET-1', changes: { unit_price: 120_000 } } }])
    })

    it('records every field when all of them change', () => {
      const changes = { name: 'Widget Pro', unit_price: 150_000, tax_rate_bp: 1200 }
      spec
        .given([created])
        .when({ type: 'UpdateSku', data: { sku: 'WIDGET-1', changes } })
        .then([{ type: 'sku.updated', data: { sku: 'WIDGET-1', changes } }])
    })

    it('ignores fields given as undefined', () => {
      spec
        .given([created])
        .when({ type: 'UpdateSku', data: { sku: 'WIDGET-1', changes: { name: undefined, tax_rate_bp: 500 } } })
        .then([{ type: 'sku.updated', data: { sku: 'WIDGET-1', changes: { tax_rate_bp: 500 } } }])
    })

    it('compares with the state after earlier updates, not with the creation', () => {
      const updated: SkuEvent = { type: 'sku.updated', data: { sku: 'WIDGET-1', changes: { unit_price: 120_000 } } }
      spec
        .given([created, updated])
        .when({ type: 'UpdateSku', data: { sku: 'WIDGET-1', changes: { unit_price: 120_000 } } })
        .then([])
      spec
        .given([created, updated])
        .when({ type: 'UpdateSku', data: { sku: 'WIDGET-1', changes: { unit_price: 100_000 } } })
        .then([{ type: 'sku.updated', data: { sku: 'WIDGET-1', changes: { unit_price: 100_000 } } }])
    })

    it.each([
      ['identical values', { name: 'Widget', unit_price: 100_000, tax_rate_bp: 1800 }],
      ['no fields', {}],
      ['only undefined fields', { name: undefined, unit_price: undefined }],
    ])('an update that changes nothing (%s) yields no events', (_label, changes) => {
      spec
        .given([created])
        .when({ type: 'UpdateSku', data: { sku: 'WIDGET-1', changes } })
        .then([])
    })

    it('updates an inactive SKU too (it stays inactive)', () => {
      spec
        .given([created, deactivated])
        .when({ type: 'UpdateSku', data: { sku: 'WIDGET-1', changes: { name: 'Old widget' } } })
        .then([{ type: 'sku.updated', data: { sku: 'WIDGET-1', changes: { name: 'Old widget' } } }])
    })
  })

  describe('DeactivateSku', () => {
    it('deactivates an active SKU, without a reason', () => {
      spec
        .given([created])
        .when({ type: 'DeactivateSku', data: { sku: 'WIDGET-1' } })
        .then([{ type: 'sku.deactivated', data: { sku: 'WIDGET-1' } }])
    })

    it('deactivates an active SKU, with a reason', () => {
      spec
        .given([created, deactivated, reactivated])
        .when({ type: 'DeactivateSku', data: { sku: 'WIDGET-1', reason: 'discontinued' } })
        .then([{ type: 'sku.deactivated', data: { sku: 'WIDGET-1', reason: 'discontinued' } }])
    })

    it('refuses to deactivate an inactive SKU: SKU.ILLEGAL_TRANSITION', () => {
      const error = spec
        .given([created, deactivated])
        .when({ type: 'DeactivateSku', data: { sku: 'WIDGET-1', reason: 'again' } })
        .thenThrows('SKU.ILLEGAL_TRANSITION')
      expect(error).toMatchObject({ kind: 'conflict', extensions: { current_status: 'inactive' } })
    })
  })

  describe('ReactivateSku', () => {
    it('reactivates an inactive SKU', () => {
      spec
        .given([created, deactivated])
        .when({ type: 'ReactivateSku', data: { sku: 'WIDGET-1' } })
        .then([reactivated])
    })

    it.each(['active', 'active again'] as const)(
      'refuses to reactivate an active SKU (%s): SKU.ILLEGAL_TRANSITION',
      (history) => {
        const error = spec
          .given(histories[history])
          .when({ type: 'ReactivateSku', data: { sku: 'WIDGET-1' } })
          .thenThrows('SKU.ILLEGAL_TRANSITION')
        expect(error).toMatchObject({ kind: 'conflict', extensions: { current_status: 'active' } })
      },
    )
  })

  describe('a SKU that was never created', () => {
    it.each<SkuCommand>([
      { type: 'UpdateSku', data: { sku: 'GHOST-1', changes: { unit_price: 1 } } },
      { type: 'DeactivateSku', data: { sku: 'GHOST-1' } },
      { type: 'ReactivateSku', data: { sku: 'GHOST-1' } },
    ])('$type → SKU.NOT_FOUND', (command) => {
      const error = spec.given([]).when(command).thenThrows('SKU.NOT_FOUND')
      expect(error).toMatchObject({ kind: 'not_found' })
    })
  })

  describe('skuDecider.evolve', () => {
    const fold = (events: SkuEvent[]) => events.reduce(skuDecider.evolve, skuDecider.initialState())

    it('starts from status none', () => {
      expect(skuDecider.initialState()).toStrictEqual({ status: 'none' })
    })

    it('applies creation, updates, deactivation and reactivation', () => {
      const updated: SkuEvent = { type: 'sku.updated', data: { sku: 'WIDGET-1', changes: { unit_price: 120_000 } } }
      expect(fold([created])).toStrictEqual({ status: 'active', ...widget })
      expect(fold([created, updated])).toStrictEqual({ status: 'active', ...widget, unit_price: 120_000 })
      expect(fold([created, updated, deactivated])).toStrictEqual({ status: 'inactive', ...widget, unit_price: 120_000 })
      expect(fold([created, updated, deactivated, reactivated])).toStrictEqual({
        status: 'active',
        ...widget,
        unit_price: 120_000,
      })
    })

    it('the state after a decided update has the new price', () => {
      const events = skuDecider.decide(
        { type: 'UpdateSku', data: { sku: 'WIDGET-1', changes: { unit_price: 99_900 } } },
        fold([created]),
      )
      expect(fold([created, ...events])).toMatchObject({
        status: 'active',
        unit_price: 99_900,
        name: 'Widget',
        tax_rate_bp: 1800,
      })
    })
  })
})

import Type, { type Static } from 'typebox'
import { Currency, IsoDateTime, Money, SkuCode, type SkuEvent, TaxRate } from '../events/catalog.js'
import type { ReadEvent } from '../events/envelope.js'
import { withChanges } from '../shared/objects.js'
import { viewFold } from './view-fold.js'

/** A catalogue entry as the API shows it and the `skus` read model stores it. */
export const SkuView = Type.Object({
  sku: SkuCode,
  name: Type.String(),
  unit_price: Money,
  currency: Currency,
  tax_rate_bp: TaxRate,
  active: Type.Boolean(),
  deactivation_reason: Type.Optional(Type.String()),
  version: Type.Integer(),
  position: Type.Integer(),
  created_at: IsoDateTime,
  updated_at: IsoDateTime,
})
export type SkuView = Static<typeof SkuView>

/** The SKU view's fold: one stored SKU event at a time (null before `sku.created`). */
export const skuView = viewFold<SkuView, ReadEvent<SkuEvent>>((view, event, stamp) => {
  switch (event.type) {
    case 'sku.created':
      return { active: true, ...stamp, created_at: stamp.updated_at, ...event.data }
    case 'sku.updated': {
      const changes = Object.fromEntries(
        Object.entries(event.data.changes as Record<string, unknown>).filter(([, v]) => v !== undefined),
      )
      return view && withChanges(view, { ...changes, ...stamp })
    }
    case 'sku.deactivated': {
      if (!view) return view
      const { deactivation_reason: _previous, ...rest } = view
      return {
        ...rest,
        ...stamp,
        active: false,
        ...(event.data.reason === undefined ? {} : { deactivation_reason: event.data.reason }),
      }
    }
    case 'sku.reactivated': {
      if (!view) return view
      const { deactivation_reason: _reason, ...rest } = view
      return { ...rest, ...stamp, active: true }
    }
    default: {
      const unknown: never = event
      throw new Error(`unknown SKU event ${JSON.stringify(unknown)}`)
    }
  }
})

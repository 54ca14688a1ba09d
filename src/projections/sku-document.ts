import type { SkuEvent } from '../events/catalog.js'
import type { StoredEvent } from '../events/envelope.js'
import { withChanges } from '../shared/objects.js'

/** A catalogue entry as the API shows it and the `skus` read model stores it. */
export interface SkuDocument {
  sku: string
  name: string
  unit_price: number
  currency: string
  tax_rate_bp: number
  active: boolean
  deactivation_reason?: string
  version: number
  position: number
  created_at: string
  updated_at: string
}

/** Applies one stored SKU event (null before `sku.created`); a no-op at or below the document's version. */
export function applySkuEvent(doc: SkuDocument | null, stored: StoredEvent): SkuDocument | null {
  if (doc && stored.version <= doc.version) return doc
  const event = { type: stored.type, data: stored.data } as SkuEvent
  const at = stored.metadata.timestamp
  const moved = { version: stored.version, position: stored.position, updated_at: at }
  switch (event.type) {
    case 'sku.created':
      return { active: true, ...moved, created_at: at, ...event.data }
    case 'sku.updated': {
      const changes = Object.fromEntries(
        Object.entries(event.data.changes as Record<string, unknown>).filter(([, v]) => v !== undefined),
      )
      return doc && withChanges(doc, { ...changes, ...moved })
    }
    case 'sku.deactivated': {
      if (!doc) return doc
      const { deactivation_reason: _previous, ...rest } = doc
      return {
        ...rest,
        ...moved,
        active: false,
        ...(event.data.reason === undefined ? {} : { deactivation_reason: event.data.reason }),
      }
    }
    case 'sku.reactivated': {
      if (!doc) return doc
      const { deactivation_reason: _reason, ...rest } = doc
      return { ...rest, ...moved, active: true }
    }
    default: {
      const unknown: never = event
      throw new Error(`unknown SKU event ${JSON.stringify(unknown)}`)
    }
  }
}

export function skuFromEvents(events: readonly StoredEvent[]): SkuDocument | null {
  return events.reduce<SkuDocument | null>(applySkuEvent, null)
}

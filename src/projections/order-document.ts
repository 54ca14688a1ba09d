import type { CustomerData, OrderEvent, OrderLineData } from '../events/catalog.js'
import type { StoredEvent } from '../events/envelope.js'
import { withChanges } from '../shared/objects.js'

export type OrderStatus = 'created' | 'confirmed' | 'shipped' | 'delivered' | 'cancelled'

/** An order as the API shows it and the `orders` read model stores it. */
export interface OrderDocument {
  order_id: string
  sales_rep: string
  customer: CustomerData
  items: OrderLineData[]
  currency: string
  subtotal: number
  tax_amount: number
  total_amount: number
  notes?: string
  status: OrderStatus
  /** Stream version of the last event applied (the ETag). */
  version: number
  /** Global position of the last event applied. */
  position: number
  created_at: string
  updated_at: string
  confirmed_at?: string
  shipped_at?: string
  delivered_at?: string
  cancelled_at?: string
  carrier?: string
  tracking_number?: string
  cancel_reason?: string
}

/**
 * Applies one stored order event to the document (null before `order.created`). Pure, and
 * a no-op for an event at or below the document's version, so replays change nothing.
 */
export function applyOrderEvent(doc: OrderDocument | null, stored: StoredEvent): OrderDocument | null {
  if (doc && stored.version <= doc.version) return doc
  const event = { type: stored.type, data: stored.data } as OrderEvent
  const at = stored.metadata.timestamp
  const moved = { version: stored.version, position: stored.position, updated_at: at }
  switch (event.type) {
    case 'order.created':
      return { status: 'created' as const, ...moved, created_at: at, ...event.data }
    case 'order.confirmed':
      return doc && withChanges(doc, { ...moved, status: 'confirmed' as const, confirmed_at: at })
    case 'order.shipped':
      return (
        doc &&
        withChanges(doc, {
          ...moved,
          status: 'shipped' as const,
          shipped_at: at,
          ...(event.data.carrier === undefined ? {} : { carrier: event.data.carrier }),
          ...(event.data.tracking_number === undefined ? {} : { tracking_number: event.data.tracking_number }),
        })
      )
    case 'order.delivered':
      return doc && withChanges(doc, { ...moved, status: 'delivered' as const, delivered_at: at })
    case 'order.cancelled':
      return (
        doc && withChanges(doc, { ...moved, status: 'cancelled' as const, cancelled_at: at, cancel_reason: event.data.reason })
      )
    default: {
      const unknown: never = event
      throw new Error(`unknown order event ${JSON.stringify(unknown)}`)
    }
  }
}

/** The order folded from its events (all of them, or those up to a time). */
export function orderFromEvents(events: readonly StoredEvent[]): OrderDocument | null {
  return events.reduce<OrderDocument | null>(applyOrderEvent, null)
}

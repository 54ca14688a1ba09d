import Type, { type Static } from 'typebox'
import { IsoDateTime, ORDER_STATUSES, type OrderEvent, OrderCreated } from '../events/catalog.js'
import type { ReadEvent } from '../events/envelope.js'
import { withChanges } from '../shared/objects.js'
import { viewFold } from './view-fold.js'

export const OrderStatus = Type.Enum(ORDER_STATUSES)

/** An order as the API shows it and the `orders` read model stores it: the order.created fields plus lifecycle state. */
export const OrderView = Type.Object({
  ...OrderCreated.properties,
  status: OrderStatus,
  version: Type.Integer({ description: 'stream version: the ETag' }),
  position: Type.Integer({ description: 'global position of the last event applied' }),
  created_at: IsoDateTime,
  updated_at: IsoDateTime,
  confirmed_at: Type.Optional(IsoDateTime),
  shipped_at: Type.Optional(IsoDateTime),
  delivered_at: Type.Optional(IsoDateTime),
  cancelled_at: Type.Optional(IsoDateTime),
  carrier: Type.Optional(Type.String()),
  tracking_number: Type.Optional(Type.String()),
  cancel_reason: Type.Optional(Type.String()),
})
export type OrderView = Static<typeof OrderView>

/** The order view's fold: one stored order event at a time (null before `order.created`). */
export const orderView = viewFold<OrderView, ReadEvent<OrderEvent>>((view, event, stamp) => {
  const at = stamp.updated_at
  switch (event.type) {
    case 'order.created':
      return { status: 'created' as const, ...stamp, created_at: at, ...event.data }
    case 'order.confirmed':
      return view && withChanges(view, { ...stamp, status: 'confirmed' as const, confirmed_at: at })
    case 'order.shipped':
      return (
        view &&
        withChanges(view, {
          ...stamp,
          status: 'shipped' as const,
          shipped_at: at,
          ...(event.data.carrier === undefined ? {} : { carrier: event.data.carrier }),
          ...(event.data.tracking_number === undefined ? {} : { tracking_number: event.data.tracking_number }),
        })
      )
    case 'order.delivered':
      return view && withChanges(view, { ...stamp, status: 'delivered' as const, delivered_at: at })
    case 'order.cancelled':
      return (
        view && withChanges(view, { ...stamp, status: 'cancelled' as const, cancelled_at: at, cancel_reason: event.data.reason })
      )
    default: {
      const unknown: never = event
      throw new Error(`unknown order event ${JSON.stringify(unknown)}`)
    }
  }
})

import Type, { type TSchema } from 'typebox'
import { Currency, Money, OrderCreated, SkuCode, TaxRate } from '../events/catalog.js'

/** Shared request/response shapes; every object schema rejects unknown fields. */

export const Email = Type.String({
  pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$',
  minLength: 3,
  maxLength: 254,
  description: 'e-mail address',
})
export const Password = Type.String({ minLength: 12, maxLength: 256, description: '12 to 256 characters' })
export const Role = Type.Union([Type.Literal('admin'), Type.Literal('sales_rep'), Type.Literal('auditor')])
export const Name = Type.String({ minLength: 1, maxLength: 200 })
export const IsoDateTime = Type.String({ description: 'ISO-8601 date-time' })

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String(),
    code: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details' },
)

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'page size (default 50)' })),
  cursor: Type.Optional(Type.String({ maxLength: 1024, description: 'next_cursor of the previous page' })),
}

export function Page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) })
}

export const DEFAULT_PAGE_SIZE = 50

/** A catalogue entry (`SkuDocument`). */
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

export const OrderStatus = Type.Union([
  Type.Literal('created'),
  Type.Literal('confirmed'),
  Type.Literal('shipped'),
  Type.Literal('delivered'),
  Type.Literal('cancelled'),
])

/** An order (`OrderDocument`): the order.created fields plus lifecycle state. */
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

import Type, { type Static, type TSchema } from 'typebox'
import { Compile } from 'typebox/compile'

/**
 * The event catalogue of DESIGN §3: one TypeBox schema per event type's `data`. Schemas
 * only ever gain optional fields, so every stored event still loads. Money is integer
 * minor units; currencies are ISO 4217 codes.
 */

export const Money = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'integer minor units (cents)' })
export const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' })
export const SkuCode = Type.String({ pattern: '^[A-Z0-9_-]{3,32}$', description: '3-32 characters of A-Z, 0-9, "-" and "_"' })
export const TaxRate = Type.Integer({ minimum: 0, maximum: 10_000, description: 'basis points: 1800 = 18 %' })
export const OrderId = Type.String({ pattern: '^ORD-\\d{5,}$' })
export const IsoDateTime = Type.String({ description: 'ISO-8601 date-time' })

/** An order's lifecycle: created → confirmed → shipped → delivered; cancelled from created or confirmed. */
export const ORDER_STATUSES = ['created', 'confirmed', 'shipped', 'delivered', 'cancelled'] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

export const SkuCreated = Type.Object({
  sku: SkuCode,
  name: Type.String(),
  unit_price: Money,
  currency: Currency,
  tax_rate_bp: TaxRate,
})
export const SkuUpdated = Type.Object({
  sku: SkuCode,
  changes: Type.Object({
    name: Type.Optional(Type.String()),
    unit_price: Type.Optional(Money),
    tax_rate_bp: Type.Optional(TaxRate),
  }),
})
export const SkuDeactivated = Type.Object({ sku: SkuCode, reason: Type.Optional(Type.String()) })
export const SkuReactivated = Type.Object({ sku: SkuCode })

export const OrderLine = Type.Object({
  sku: SkuCode,
  name: Type.String(),
  quantity: Type.Integer({ minimum: 1 }),
  unit_price: Money,
  tax_rate_bp: TaxRate,
  line_subtotal: Money,
  line_tax: Money,
  line_total: Money,
})
export const Customer = Type.Object({ name: Type.String(), email: Type.Optional(Type.String()) })
export const OrderCreated = Type.Object({
  order_id: OrderId,
  sales_rep: Type.String(),
  customer: Customer,
  items: Type.Array(OrderLine),
  currency: Currency,
  subtotal: Money,
  tax_amount: Money,
  total_amount: Money,
  notes: Type.Optional(Type.String()),
})
export const OrderConfirmed = Type.Object({ order_id: OrderId })
export const OrderShipped = Type.Object({
  order_id: OrderId,
  carrier: Type.Optional(Type.String()),
  tracking_number: Type.Optional(Type.String()),
})
export const OrderDelivered = Type.Object({ order_id: OrderId })
export const OrderCancelled = Type.Object({ order_id: OrderId, reason: Type.String() })

export const EVENT_SCHEMAS = {
  'sku.created': SkuCreated,
  'sku.updated': SkuUpdated,
  'sku.deactivated': SkuDeactivated,
  'sku.reactivated': SkuReactivated,
  'order.created': OrderCreated,
  'order.confirmed': OrderConfirmed,
  'order.shipped': OrderShipped,
  'order.delivered': OrderDelivered,
  'order.cancelled': OrderCancelled,
} satisfies Record<string, TSchema>

export type EventType = keyof typeof EVENT_SCHEMAS
export type EventData<T extends EventType> = Static<(typeof EVENT_SCHEMAS)[T]>

/** A domain event before it is stored, discriminated on `type`. */
export type DomainEvent = { [T in EventType]: { type: T; data: EventData<T> } }[EventType]
export type SkuEvent = Extract<DomainEvent, { type: `sku.${string}` }>
export type OrderEvent = Extract<DomainEvent, { type: `order.${string}` }>
export type OrderLineData = Static<typeof OrderLine>
export type CustomerData = Static<typeof Customer>

const validators = Object.fromEntries(Object.entries(EVENT_SCHEMAS).map(([type, schema]) => [type, Compile(schema)])) as {
  [T in EventType]: ReturnType<typeof Compile<(typeof EVENT_SCHEMAS)[T]>>
}

/** The first way an event's data breaks its schema, or null when it conforms. */
export function eventDataProblem(event: DomainEvent): string | null {
  const validator = validators[event.type]
  if (validator.Check(event.data)) return null
  const [first] = validator.Errors(event.data)
  return `${event.type} data${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`
}

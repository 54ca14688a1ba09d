import type { CustomerData, EventData, OrderEvent, OrderStatus } from '../../events/catalog.js'
import { type FieldError, ValidationError } from '../../shared/errors.js'
import type { Decider } from '../decider.js'
import { IllegalTransitionError, OrderRejectedError } from '../errors.js'
import type { SkuState } from '../sku/decider.js'
import { priceLines } from './pricing.js'

/** What decisions need: the status, and whose order it is. */
export type OrderState = { status: 'none' } | { status: OrderStatus; order_id: string; sales_rep: string }

export interface OrderItemRequest {
  sku: string
  quantity: number
}

export type OrderCommand =
  | {
      type: 'PlaceOrder'
      data: {
        order_id: string
        sales_rep: string
        customer: CustomerData
        items: OrderItemRequest[]
        currency?: string
        notes?: string
        /** Current state of every SKU the order names (read from their streams). */
        catalog: ReadonlyMap<string, SkuState>
      }
    }
  | { type: 'ConfirmOrder'; data: { order_id: string } }
  | { type: 'ShipOrder'; data: { order_id: string; carrier?: string; tracking_number?: string } }
  | { type: 'DeliverOrder'; data: { order_id: string } }
  | { type: 'CancelOrder'; data: { order_id: string; reason: string } }

export type LifecycleCommand = Exclude<OrderCommand, { type: 'PlaceOrder' }>

export const MAX_ITEMS = 100
export const MAX_QUANTITY = 10_000

/**
 * The lifecycle actions (also the CASL actions and the routes' last segment), the command
 * each one is and the statuses it may start from: created → confirmed → shipped →
 * delivered; cancelled from created or confirmed.
 */
export const ORDER_ACTIONS = {
  confirm: { command: 'ConfirmOrder', from: ['created'] },
  ship: { command: 'ShipOrder', from: ['confirmed'] },
  deliver: { command: 'DeliverOrder', from: ['shipped'] },
  cancel: { command: 'CancelOrder', from: ['created', 'confirmed'] },
} as const satisfies Record<string, { command: LifecycleCommand['type']; from: readonly OrderStatus[] }>
export type OrderAction = keyof typeof ORDER_ACTIONS

const ACTION_OF = Object.fromEntries(Object.entries(ORDER_ACTIONS).map(([action, { command }]) => [command, action])) as Record<
  LifecycleCommand['type'],
  OrderAction
>

/** The action a lifecycle command performs (`ConfirmOrder` → `confirm`). */
export const actionOf = (command: LifecycleCommand): OrderAction => ACTION_OF[command.type]

function decide(command: OrderCommand, state: OrderState): OrderEvent[] {
  if (command.type === 'PlaceOrder') {
    if (state.status !== 'none') throw new IllegalTransitionError('ORDER', 'place', state.status)
    return [{ type: 'order.created', data: placeOrder(command.data) }]
  }
  const action = actionOf(command)
  if (state.status === 'none') throw new IllegalTransitionError('ORDER', action, 'not created')
  if (!(ORDER_ACTIONS[action].from as readonly OrderStatus[]).includes(state.status))
    throw new IllegalTransitionError('ORDER', action, state.status)
  switch (command.type) {
    case 'ConfirmOrder':
      return [{ type: 'order.confirmed', data: command.data }]
    case 'ShipOrder':
      return [{ type: 'order.shipped', data: command.data }]
    case 'DeliverOrder':
      return [{ type: 'order.delivered', data: command.data }]
    case 'CancelOrder':
      return [{ type: 'order.cancelled', data: command.data }]
    default: {
      const unknown: never = command
      throw new Error(`unknown order command ${JSON.stringify(unknown)}`)
    }
  }
}

function evolve(state: OrderState, event: OrderEvent): OrderState {
  switch (event.type) {
    case 'order.created':
      return { status: 'created', order_id: event.data.order_id, sales_rep: event.data.sales_rep }
    case 'order.confirmed':
      return state.status === 'none' ? state : { ...state, status: 'confirmed' }
    case 'order.shipped':
      return state.status === 'none' ? state : { ...state, status: 'shipped' }
    case 'order.delivered':
      return state.status === 'none' ? state : { ...state, status: 'delivered' }
    case 'order.cancelled':
      return state.status === 'none' ? state : { ...state, status: 'cancelled' }
    default: {
      const unknown: never = event
      throw new Error(`unknown order event ${JSON.stringify(unknown)}`)
    }
  }
}

function placeOrder(data: Extract<OrderCommand, { type: 'PlaceOrder' }>['data']): EventData<'order.created'> {
  const { items, catalog } = data
  if (items.length === 0 || items.length > MAX_ITEMS) {
    throw new ValidationError('ORDER.ITEM_COUNT', `An order has 1 to ${MAX_ITEMS} items`, [
      { path: 'body/items', message: `must have 1 to ${MAX_ITEMS} items` },
    ])
  }
  const invalid: FieldError[] = []
  const firstIndex = new Map<string, number>()
  items.forEach((item, i) => {
    if (!Number.isSafeInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_QUANTITY) {
      invalid.push({ path: `body/items/${i}/quantity`, message: `must be a whole number from 1 to ${MAX_QUANTITY}` })
    }
    const earlier = firstIndex.get(item.sku)
    if (earlier === undefined) firstIndex.set(item.sku, i)
    else
      invalid.push({
        path: `body/items/${i}/sku`,
        message: `${item.sku} is already item ${earlier}; give each SKU once with its total quantity`,
      })
  })
  if (invalid.length > 0) throw new ValidationError('ORDER.INVALID_ITEMS', 'Some items are invalid', invalid)

  const unavailable: FieldError[] = []
  const skus = items.map((item, i) => {
    const sku = catalog.get(item.sku)
    if (!sku || sku.status === 'none')
      unavailable.push({ path: `body/items/${i}/sku`, message: `SKU ${item.sku} does not exist` })
    else if (sku.status === 'inactive') unavailable.push({ path: `body/items/${i}/sku`, message: `SKU ${item.sku} is inactive` })
    return sku?.status === 'active' ? sku : undefined
  })
  if (unavailable.length > 0)
    throw new OrderRejectedError('ORDER.UNAVAILABLE_SKU', 'Some SKUs do not exist or are inactive', unavailable)

  const currency = data.currency ?? skus[0]?.currency ?? ''
  const mixed = skus.flatMap((sku, i) =>
    sku && sku.currency !== currency
      ? [{ path: `body/items/${i}/sku`, message: `SKU ${sku.sku} is priced in ${sku.currency}, not ${currency}` }]
      : [],
  )
  if (mixed.length > 0)
    throw new OrderRejectedError('ORDER.MIXED_CURRENCIES', `Every SKU of an order must be priced in ${currency}`, mixed)

  const priced = priceLines(
    items.map((item, i) => {
      const sku = skus[i] as Exclude<SkuState, { status: 'none' }>
      return { sku: item.sku, name: sku.name, quantity: item.quantity, unit_price: sku.unit_price, tax_rate_bp: sku.tax_rate_bp }
    }),
  )
  return {
    order_id: data.order_id,
    sales_rep: data.sales_rep,
    customer: data.customer,
    items: priced.items,
    currency,
    subtotal: priced.subtotal,
    tax_amount: priced.tax_amount,
    total_amount: priced.total_amount,
    ...(data.notes === undefined ? {} : { notes: data.notes }),
  }
}

/** The order aggregate: placing an order and moving it through its lifecycle. */
export const orderDecider: Decider<OrderCommand, OrderState, OrderEvent> = {
  decide,
  evolve,
  initialState: () => ({ status: 'none' }),
}

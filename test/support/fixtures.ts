import type { FastifyInstance } from 'fastify'
import type { Principal } from '../../src/auth/abilities.js'
import { defineAbilityFor } from '../../src/auth/abilities.js'
import { TEST_SALES_REP } from './auth.js'
import type { OrderView } from '../../src/projections/order-view.js'
import type { SkuView } from '../../src/projections/sku-view.js'

/** Test data made through the command services (no HTTP), as an admin. */
const ADMIN: Principal = { sub: 'admin@test.local', role: 'admin' }
const context = { actor: ADMIN.sub, correlationId: 'fixture' }

let skuCounter = 0

export async function createSku(
  app: FastifyInstance,
  overrides: Partial<Omit<SkuView, 'active' | 'version' | 'position'>> = {},
): Promise<SkuView> {
  const details = {
    sku: `SKU-${++skuCounter}-${process.pid}`,
    name: 'Widget',
    unit_price: 100_000,
    currency: 'INR',
    tax_rate_bp: 1800,
    ...overrides,
  }
  return (await app.skuCommands.create(details, context)).sku
}

export async function placeOrder(
  app: FastifyInstance,
  options: { skus: string[]; salesRep?: string; quantity?: number },
): Promise<OrderView> {
  // Placed by the sales rep itself (an admin would have to name one): `sales-rep@test.local` unless told.
  const principal: Principal = { sub: options.salesRep ?? TEST_SALES_REP, role: 'sales_rep' }
  const input = { customer: { name: 'ACME Ltd' }, items: options.skus.map((sku) => ({ sku, quantity: options.quantity ?? 1 })) }
  return (await app.orderCommands.place(input, principal, context)).order
}

const PATH = ['created', 'confirmed', 'shipped', 'delivered'] as const

/** Places an order and moves it along created → confirmed → shipped → delivered (or cancels it). */
export async function orderIn(
  app: FastifyInstance,
  status: (typeof PATH)[number] | 'cancelled',
  options: { skus: string[]; salesRep?: string },
): Promise<OrderView> {
  let order = await placeOrder(app, options)
  const ability = defineAbilityFor(ADMIN)
  const order_id = order.order_id
  if (status === 'cancelled')
    return (await app.orderCommands.transition({ type: 'CancelOrder', data: { order_id, reason: 'fixture' } }, ability, context))
      .order
  const steps = [
    { type: 'ConfirmOrder', data: { order_id } },
    { type: 'ShipOrder', data: { order_id } },
    { type: 'DeliverOrder', data: { order_id } },
  ] as const
  for (const step of steps.slice(0, PATH.indexOf(status)))
    order = (await app.orderCommands.transition(step, ability, context)).order
  return order
}

/**
 * Makes commands truly race: the first `parties` loads of `stream` wait for each other, so
 * every command decides on the same state before any of them appends. Returns an undo.
 */
export function raceOnLoad(app: FastifyInstance, stream: string, parties = 2): () => void {
  const store = app.eventStore
  const original = store.readStream.bind(store)
  let waiting: (() => void)[] = []
  let arrived = 0
  store.readStream = async (name, options) => {
    const events = await original(name, options)
    if (name === stream && arrived < parties) {
      arrived++
      await new Promise<void>((resolve) => {
        waiting.push(resolve)
        if (waiting.length === parties) {
          for (const release of waiting) release()
          waiting = []
        }
      })
    }
    return events
  }
  return () => {
    store.readStream = original
  }
}

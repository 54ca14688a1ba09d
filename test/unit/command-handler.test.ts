import { describe, expect, it } from 'vitest'
import { createCommandHandler } from '../../src/commands/command-handler.js'
import type { Decider } from '../../src/commands/decider.js'
import { InvalidDecisionError } from '../../src/commands/errors.js'
import { orderDecider } from '../../src/commands/order/decider.js'
import { skuDecider } from '../../src/commands/sku/decider.js'
import type { DomainEvent } from '../../src/events/catalog.js'
import { createEventStore } from '../../src/events/event-store.js'
import { MemoryCommitLog } from '../../src/events/memory-commit-log.js'

const who = { actor: 'admin@test.local', correlationId: 'command-handler-test' }
const widget = { sku: 'WIDGET-1', name: 'Widget', unit_price: 100_000, currency: 'INR', tax_rate_bp: 1800 }

/** An `order.created` that breaks its schema: a malformed id, no customer, a negative total. */
const invalidOrderCreated = {
  type: 'order.created',
  data: {
    order_id: 'ORD-1',
    sales_rep: 'rep@test.local',
    items: [],
    currency: 'INR',
    subtotal: 0,
    tax_amount: 0,
    total_amount: -1,
  },
} as unknown as DomainEvent

/** The real decider with a `decide` that produces the invalid event (a test-only fault). */
const faulty = <C, S, E>(decider: Decider<C, S, E>) => ({ ...decider, decide: () => [invalidOrderCreated as E] })

async function seeded() {
  const store = createEventStore(new MemoryCommitLog(), { source: 'test' })
  const handle = createCommandHandler(store)
  await handle(skuDecider, { stream: 'sku-WIDGET-1', command: { type: 'CreateSku', data: widget } }, who)
  const catalog = new Map([['WIDGET-1', { status: 'active' as const, ...widget }]])
  const place = {
    type: 'PlaceOrder' as const,
    data: {
      order_id: 'ORD-00001',
      sales_rep: 'rep@test.local',
      customer: { name: 'Acme' },
      items: [{ sku: 'WIDGET-1', quantity: 1 }],
      catalog,
    },
  }
  await handle(orderDecider, { stream: 'order-ORD-00001', command: place }, who)
  return { store, handle, place }
}

describe('the command handler checks every decided event against its schema', () => {
  it.each([
    ['placing an order', 'order'],
    ['creating a SKU', 'sku-create'],
    ['an order lifecycle command', 'order-lifecycle'],
    ['changing a SKU', 'sku-change'],
  ] as const)('%s: an invalid order.created from a faulty decider is refused and nothing is written', async (_kind, kind) => {
    const { store, handle, place } = await seeded()
    const head = await store.headPosition()
    const attempt = {
      order: () =>
        handle(
          faulty(orderDecider),
          { stream: 'order-ORD-00002', command: { ...place, data: { ...place.data, order_id: 'ORD-00002' } } },
          who,
        ),
      'sku-create': () =>
        handle(
          faulty(skuDecider),
          { stream: 'sku-GADGET-1', command: { type: 'CreateSku', data: { ...widget, sku: 'GADGET-1' } } },
          who,
        ),
      'order-lifecycle': () =>
        handle(
          faulty(orderDecider),
          { stream: 'order-ORD-00001', command: { type: 'ConfirmOrder', data: { order_id: 'ORD-00001' } } },
          who,
        ),
      'sku-change': () =>
        handle(
          faulty(skuDecider),
          { stream: 'sku-WIDGET-1', command: { type: 'UpdateSku', data: { sku: 'WIDGET-1', changes: { unit_price: 1 } } } },
          who,
        ),
    }[kind]
    const error: unknown = await attempt().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidDecisionError)
    expect((error as Error).message).toMatch(/^decider produced an invalid event: order\.created data/)
    expect(await store.headPosition()).toBe(head)
  })

  it('the real deciders pass the same check', async () => {
    const { store, handle } = await seeded()
    const confirmed = await handle(
      orderDecider,
      { stream: 'order-ORD-00001', command: { type: 'ConfirmOrder', data: { order_id: 'ORD-00001' } } },
      who,
    )
    expect(confirmed.state).toMatchObject({ status: 'confirmed' })
    expect(await store.headPosition()).toBe(3)
  })

  it('a claimed stream that already has events sends the target back for another name (a number handed out twice)', async () => {
    const { store, handle, place } = await seeded()
    const names = ['ORD-00001', 'ORD-00002']
    const asked: string[] = []
    const result = await handle(
      orderDecider,
      async () => {
        const orderId = names[asked.length] ?? 'ORD-99999'
        asked.push(orderId)
        return { stream: `order-${orderId}`, claim: true, command: { ...place, data: { ...place.data, order_id: orderId } } }
      },
      who,
    )
    expect(asked).toEqual(['ORD-00001', 'ORD-00002'])
    expect(result.events.map((e) => [e.stream, e.version, e.type])).toEqual([['order-ORD-00002', 1, 'order.created']])
    expect((await store.readStream('order-ORD-00001')).map((e) => e.type)).toEqual(['order.created'])
  })
})

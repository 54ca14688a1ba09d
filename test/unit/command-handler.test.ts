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

describe('a keyed command that claims a new stream (a new order)', () => {
  const key = { commandId: 'idem:new-order', fingerprint: 'sha256:same' }

  /** Places ORD-<n> for each name asked, counting look-ups by command id. */
  async function placing(catalogStatus: () => 'active' | 'inactive' = () => 'active') {
    const { store, handle, place } = await seeded()
    const lookups = { count: 0 }
    const findCommand = store.findCommand.bind(store)
    store.findCommand = (commandId) => {
      lookups.count++
      return findCommand(commandId)
    }
    let next = 2
    const placeNext = () =>
      handle(
        orderDecider,
        async () => {
          const orderId = `ORD-0000${next++}`
          const catalog = new Map([['WIDGET-1', { ...widget, status: catalogStatus() }]])
          return {
            stream: `order-${orderId}`,
            claim: true,
            command: { ...place, data: { ...place.data, order_id: orderId, catalog } },
          }
        },
        who,
        { idempotency: key },
      )
    return { store, lookups, placeNext }
  }

  it('is not looked up before it is decided; a retry is refused by the store and answered with the original', async () => {
    const { store, lookups, placeNext } = await placing()
    const first = await placeNext()
    expect(lookups.count).toBe(0)
    const retry = await placeNext()
    expect(retry.replayed).toBe(true)
    expect(retry.events.map((e) => e.stream)).toEqual(['order-ORD-00002'])
    expect(lookups.count).toBe(1)
    expect(await store.readStream('order-ORD-00003')).toEqual([])
    expect(first.replayed).toBe(false)
  })

  it('a retry that could no longer be decided (its SKU deactivated since) still answers with the original', async () => {
    let status: 'active' | 'inactive' = 'active'
    const { placeNext } = await placing(() => status)
    await placeNext()
    status = 'inactive'
    const retry = await placeNext()
    expect([retry.replayed, retry.events.map((e) => e.stream)]).toEqual([true, ['order-ORD-00002']])
  })

  it('a first attempt that cannot be decided fails as it would without a key', async () => {
    const { placeNext } = await placing(() => 'inactive')
    await expect(placeNext()).rejects.toMatchObject({ code: 'ORDER.UNAVAILABLE_SKU' })
  })
})

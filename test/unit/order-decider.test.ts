import { describe, expect, it } from 'vitest'
import {
  type OrderCommand,
  type OrderItemRequest,
  MAX_ITEMS,
  MAX_QUANTITY,
  orderDecider,
} from '../../src/commands/order/decider.js'
import { taxOf } from '../../src/commands/order/pricing.js'
import { type SkuDetails, type SkuState, skuDecider } from '../../src/commands/sku/decider.js'
import type { CustomerData, EventData, OrderEvent, OrderStatus, SkuEvent } from '../../src/events/catalog.js'
import { deciderSpec } from '../support/decider-spec.js'

const spec = deciderSpec(orderDecider)

const MAX = Number.MAX_SAFE_INTEGER
const ORDER_ID = 'ORD-00001'
const REP = 'rep@test.local'
const customer: CustomerData = { name: 'Acme Traders', email: 'buyer@acme.test' }

/** An asymmetric matcher for a string containing `text`, typed for `toMatchObject`. */
const containing = (text: string): string => expect.stringContaining(text) as string

type ExistingSku = Exclude<SkuState, { status: 'none' }>

/** An active (or inactive) SKU state; defaults: INR, no tax, price 100. */
const skuState = (details: Partial<SkuDetails> & { sku: string }, status: ExistingSku['status'] = 'active'): ExistingSku => ({
  status,
  name: `Item ${details.sku}`,
  unit_price: 100,
  currency: 'INR',
  tax_rate_bp: 0,
  ...details,
})
const catalogOf = (...skus: ExistingSku[]): ReadonlyMap<string, SkuState> => new Map(skus.map((sku) => [sku.sku, sku]))

type PlaceOrder = Extract<OrderCommand, { type: 'PlaceOrder' }>
const place = (
  items: OrderItemRequest[],
  catalog: ReadonlyMap<string, SkuState>,
  extra: Partial<Omit<PlaceOrder['data'], 'items' | 'catalog'>> = {},
): PlaceOrder => ({ type: 'PlaceOrder', data: { order_id: ORDER_ID, sales_rep: REP, customer, items, catalog, ...extra } })

/** Decides a PlaceOrder on a new stream and returns the order.created data. */
const placed = (command: PlaceOrder): EventData<'order.created'> => {
  const [event, ...rest] = orderDecider.decide(command, orderDecider.initialState())
  expect(rest).toHaveLength(0)
  if (event?.type !== 'order.created') return expect.fail(`expected order.created, got ${JSON.stringify(event)}`)
  return event.data
}

const laptop = skuState({ sku: 'LAPTOP-1', name: 'Laptop 14"', unit_price: 100_000, tax_rate_bp: 1800 })
const mouse = skuState({ sku: 'MOUSE-1', name: 'Mouse', unit_price: 1_999, tax_rate_bp: 1200 })
const cable = skuState({ sku: 'CABLE-1', name: 'USB-C cable', unit_price: 499, tax_rate_bp: 500 })

const orderCreated: OrderEvent = {
  type: 'order.created',
  data: {
    order_id: ORDER_ID,
    sales_rep: REP,
    customer,
    items: [
      {
        sku: 'LAPTOP-1',
        name: 'Laptop 14"',
        quantity: 1,
        unit_price: 100_000,
        tax_rate_bp: 1800,
        line_subtotal: 100_000,
        line_tax: 18_000,
        line_total: 118_000,
      },
    ],
    currency: 'INR',
    subtotal: 100_000,
    tax_amount: 18_000,
    total_amount: 118_000,
  },
}
const confirmed: OrderEvent = { type: 'order.confirmed', data: { order_id: ORDER_ID } }
const shipped: OrderEvent = { type: 'order.shipped', data: { order_id: ORDER_ID, carrier: 'BlueDart', tracking_number: 'BD123' } }
const delivered: OrderEvent = { type: 'order.delivered', data: { order_id: ORDER_ID } }
const cancelled: OrderEvent = { type: 'order.cancelled', data: { order_id: ORDER_ID, reason: 'customer changed their mind' } }

const historyIn: Record<OrderStatus, OrderEvent[]> = {
  created: [orderCreated],
  confirmed: [orderCreated, confirmed],
  shipped: [orderCreated, confirmed, shipped],
  delivered: [orderCreated, confirmed, shipped, delivered],
  cancelled: [orderCreated, confirmed, cancelled],
}

const commands = {
  confirm: { type: 'ConfirmOrder', data: { order_id: ORDER_ID } },
  ship: { type: 'ShipOrder', data: { order_id: ORDER_ID } },
  deliver: { type: 'DeliverOrder', data: { order_id: ORDER_ID } },
  cancel: { type: 'CancelOrder', data: { order_id: ORDER_ID, reason: 'no longer needed' } },
} satisfies Record<string, OrderCommand>

describe('order decider: PlaceOrder', () => {
  it('prices 1 × 100000 at 1800 bp: the exact order.created event', () => {
    spec
      .given([])
      .when(place([{ sku: 'LAPTOP-1', quantity: 1 }], catalogOf(laptop)))
      .then([orderCreated])
  })

  it('copies notes when given', () => {
    spec
      .given([])
      .when(place([{ sku: 'LAPTOP-1', quantity: 1 }], catalogOf(laptop), { notes: 'deliver before noon' }))
      .then([{ type: 'order.created', data: { ...orderCreated.data, notes: 'deliver before noon' } }])
  })

  it('sums several lines, each priced from its SKU state', () => {
    const data = placed(
      place(
        [
          { sku: 'LAPTOP-1', quantity: 2 },
          { sku: 'MOUSE-1', quantity: 3 },
          { sku: 'CABLE-1', quantity: 7 },
        ],
        catalogOf(laptop, mouse, cable),
      ),
    )
    expect(data.items).toStrictEqual([
      {
        sku: 'LAPTOP-1',
        name: 'Laptop 14"',
        quantity: 2,
        unit_price: 100_000,
        tax_rate_bp: 1800,
        line_subtotal: 200_000,
        line_tax: 36_000,
        line_total: 236_000,
      },
      // 5997 × 12 % = 719.64 → 720
      {
        sku: 'MOUSE-1',
        name: 'Mouse',
        quantity: 3,
        unit_price: 1_999,
        tax_rate_bp: 1200,
        line_subtotal: 5_997,
        line_tax: 720,
        line_total: 6_717,
      },
      // 3493 × 5 % = 174.65 → 175
      {
        sku: 'CABLE-1',
        name: 'USB-C cable',
        quantity: 7,
        unit_price: 499,
        tax_rate_bp: 500,
        line_subtotal: 3_493,
        line_tax: 175,
        line_total: 3_668,
      },
    ])
    expect(data).toMatchObject({ currency: 'INR', subtotal: 209_490, tax_amount: 36_895, total_amount: 246_385 })
  })

  it('defaults the currency to the SKUs’ currency', () => {
    const usd = skuState({ sku: 'PEN-1', currency: 'USD' })
    expect(placed(place([{ sku: 'PEN-1', quantity: 1 }], catalogOf(usd))).currency).toBe('USD')
  })

  it('keeps an explicit currency', () => {
    const usd = skuState({ sku: 'PEN-1', currency: 'USD' })
    expect(placed(place([{ sku: 'PEN-1', quantity: 1 }], catalogOf(usd), { currency: 'USD' })).currency).toBe('USD')
  })

  it(`accepts ${MAX_ITEMS} items and a quantity of ${MAX_QUANTITY}`, () => {
    const skus = Array.from({ length: MAX_ITEMS }, (_, i) => skuState({ sku: `SKU-${i}`, unit_price: 1 }))
    const data = placed(
      place(
        skus.map((sku, i) => ({ sku: sku.sku, quantity: i === 0 ? MAX_QUANTITY : 1 })),
        catalogOf(...skus),
      ),
    )
    expect(data.items).toHaveLength(MAX_ITEMS)
    expect(data.total_amount).toBe(MAX_QUANTITY + MAX_ITEMS - 1)
  })

  describe('rounding: line_tax = round_half_up(line_subtotal × tax_rate_bp / 10000)', () => {
    it.each([
      { subtotal: 50, rate: 1000, tax: 5 }, // 5.0
      { subtotal: 5, rate: 1000, tax: 1 }, // 0.5
      { subtotal: 15, rate: 1000, tax: 2 }, // 1.5
      { subtotal: 25, rate: 1000, tax: 3 }, // 2.5
      { subtotal: 35, rate: 1000, tax: 4 }, // 3.5
      { subtotal: 4_999, rate: 1, tax: 0 }, // 0.4999
      { subtotal: 5_000, rate: 1, tax: 1 }, // 0.5
      { subtotal: 24_999, rate: 1, tax: 2 }, // 2.4999
      { subtotal: 14, rate: 1000, tax: 1 }, // 1.4
      { subtotal: 16, rate: 1000, tax: 2 }, // 1.6
      { subtotal: 1_000, rate: 0, tax: 0 },
      { subtotal: 1_234, rate: 10_000, tax: 1_234 },
    ])('subtotal $subtotal at $rate bp → line_tax $tax', ({ subtotal, rate, tax }) => {
      const data = placed(
        place([{ sku: 'ITEM-1', quantity: 1 }], catalogOf(skuState({ sku: 'ITEM-1', unit_price: subtotal, tax_rate_bp: rate }))),
      )
      expect(data.items[0]).toMatchObject({ line_subtotal: subtotal, line_tax: tax, line_total: subtotal + tax })
      expect(data).toMatchObject({ subtotal, tax_amount: tax, total_amount: subtotal + tax })
    })

    it('rounds the line subtotal, not the unit price: 3 × 5 at 1000 bp = 1.5 → 2 (not 3 × 1)', () => {
      const data = placed(
        place([{ sku: 'ITEM-1', quantity: 3 }], catalogOf(skuState({ sku: 'ITEM-1', unit_price: 5, tax_rate_bp: 1000 }))),
      )
      expect(data.items[0]).toMatchObject({ line_subtotal: 15, line_tax: 2, line_total: 17 })
    })

    it('rounds each line, then sums: two lines of 5 at 1000 bp → tax 1 + 1 = 2 (not round(1.0) = 1)', () => {
      const a = skuState({ sku: 'ITEM-A', unit_price: 5, tax_rate_bp: 1000 })
      const b = skuState({ sku: 'ITEM-B', unit_price: 5, tax_rate_bp: 1000 })
      const data = placed(
        place(
          [
            { sku: 'ITEM-A', quantity: 1 },
            { sku: 'ITEM-B', quantity: 1 },
          ],
          catalogOf(a, b),
        ),
      )
      expect(data).toMatchObject({ subtotal: 10, tax_amount: 2, total_amount: 12 })
    })

    it.each([
      [50n, 1000, 5n],
      [5n, 1000, 1n],
      [15n, 1000, 2n],
      [25n, 1000, 3n],
      [4n, 1000, 0n],
      [4_999n, 1, 0n],
      [5_000n, 1, 1n],
      [24_999n, 1, 2n],
      [0n, 1800, 0n],
      [100_000n, 1800, 18_000n],
      // exact where floating point is not: 4503599627370495.5 → …496 (Math.round on doubles gives …495)
      [9_007_199_254_740_991n, 5000, 4_503_599_627_370_496n],
      // 1621295865853377.48 → …377 (doubles give …378)
      [9_007_199_254_740_986n, 1800, 1_621_295_865_853_377n],
    ])('taxOf(%s, %i) = %s', (amount, rate, expected) => {
      expect(taxOf(amount, rate)).toBe(expected)
    })
  })

  describe('unavailable SKUs', () => {
    it('rejects an unknown SKU: ORDER.UNAVAILABLE_SKU naming the item', () => {
      const error = spec
        .given([])
        .when(place([{ sku: 'GHOST-1', quantity: 1 }], catalogOf(laptop)))
        .thenThrows('ORDER.UNAVAILABLE_SKU')
      expect(error).toMatchObject({ kind: 'unprocessable', errors: [{ path: 'body/items/0/sku' }] })
    })

    it('rejects an inactive SKU: ORDER.UNAVAILABLE_SKU naming the item', () => {
      const error = spec
        .given([])
        .when(
          place(
            [
              { sku: 'LAPTOP-1', quantity: 1 },
              { sku: 'OLD-1', quantity: 1 },
            ],
            catalogOf(laptop, skuState({ sku: 'OLD-1' }, 'inactive')),
          ),
        )
        .thenThrows('ORDER.UNAVAILABLE_SKU')
      expect(error).toMatchObject({
        kind: 'unprocessable',
        errors: [{ path: 'body/items/1/sku', message: containing('inactive') }],
      })
    })

    it('treats a SKU whose state is none as unknown', () => {
      const error = spec
        .given([])
        .when(place([{ sku: 'NONE-1', quantity: 1 }], new Map<string, SkuState>([['NONE-1', skuDecider.initialState()]])))
        .thenThrows('ORDER.UNAVAILABLE_SKU')
      expect(error).toMatchObject({ errors: [{ path: 'body/items/0/sku' }] })
    })

    it('lists every offending item at once, and only those', () => {
      const error = spec
        .given([])
        .when(
          place(
            [
              { sku: 'GHOST-1', quantity: 1 },
              { sku: 'LAPTOP-1', quantity: 1 },
              { sku: 'OLD-1', quantity: 2 },
              { sku: 'GHOST-2', quantity: 3 },
            ],
            catalogOf(laptop, skuState({ sku: 'OLD-1' }, 'inactive')),
          ),
        )
        .thenThrows('ORDER.UNAVAILABLE_SKU')
      expect(error).toMatchObject({
        errors: [
          { path: 'body/items/0/sku', message: containing('GHOST-1') },
          { path: 'body/items/2/sku', message: containing('OLD-1') },
          { path: 'body/items/3/sku', message: containing('GHOST-2') },
        ],
      })
    })
  })

  describe('currencies', () => {
    const usdPen = skuState({ sku: 'PEN-1', currency: 'USD' })

    it('rejects SKUs in another currency than the first SKU’s: ORDER.MIXED_CURRENCIES', () => {
      const error = spec
        .given([])
        .when(
          place(
            [
              { sku: 'LAPTOP-1', quantity: 1 },
              { sku: 'PEN-1', quantity: 1 },
            ],
            catalogOf(laptop, usdPen),
          ),
        )
        .thenThrows('ORDER.MIXED_CURRENCIES')
      expect(error).toMatchObject({ kind: 'unprocessable', errors: [{ path: 'body/items/1/sku' }] })
    })

    it('rejects SKUs in another currency than the explicit one, listing each', () => {
      const error = spec
        .given([])
        .when(
          place(
            [
              { sku: 'LAPTOP-1', quantity: 1 },
              { sku: 'PEN-1', quantity: 1 },
              { sku: 'MOUSE-1', quantity: 1 },
            ],
            catalogOf(laptop, usdPen, mouse),
            { currency: 'USD' },
          ),
        )
        .thenThrows('ORDER.MIXED_CURRENCIES')
      expect(error).toMatchObject({ errors: [{ path: 'body/items/0/sku' }, { path: 'body/items/2/sku' }] })
    })
  })

  describe('item rules', () => {
    it('rejects the same SKU twice: ORDER.INVALID_ITEMS (invalid)', () => {
      const error = spec
        .given([])
        .when(
          place(
            [
              { sku: 'LAPTOP-1', quantity: 1 },
              { sku: 'MOUSE-1', quantity: 1 },
              { sku: 'LAPTOP-1', quantity: 2 },
            ],
            catalogOf(laptop, mouse),
          ),
        )
        .thenThrows('ORDER.INVALID_ITEMS')
      expect(error).toMatchObject({
        kind: 'invalid',
        errors: [{ path: 'body/items/2/sku', message: containing('item 0') }],
      })
    })

    it.each([0, MAX_ITEMS + 1])('rejects %i items: ORDER.ITEM_COUNT', (count) => {
      const skus = Array.from({ length: count }, (_, i) => skuState({ sku: `SKU-${i}` }))
      const error = spec
        .given([])
        .when(
          place(
            skus.map((sku) => ({ sku: sku.sku, quantity: 1 })),
            catalogOf(...skus),
          ),
        )
        .thenThrows('ORDER.ITEM_COUNT')
      expect(error).toMatchObject({ kind: 'invalid', errors: [{ path: 'body/items' }] })
    })

    it.each([0, -1, 1.5, MAX_QUANTITY + 1, Number.NaN])('rejects quantity %s: ORDER.INVALID_ITEMS', (quantity) => {
      const error = spec
        .given([])
        .when(place([{ sku: 'LAPTOP-1', quantity }], catalogOf(laptop)))
        .thenThrows('ORDER.INVALID_ITEMS')
      expect(error).toMatchObject({ kind: 'invalid', errors: [{ path: 'body/items/0/quantity' }] })
    })

    it('lists every invalid quantity and duplicate at once', () => {
      const error = spec
        .given([])
        .when(
          place(
            [
              { sku: 'LAPTOP-1', quantity: 0 },
              { sku: 'MOUSE-1', quantity: 1.5 },
              { sku: 'CABLE-1', quantity: MAX_QUANTITY + 1 },
              { sku: 'PEN-1', quantity: 1 },
              { sku: 'MOUSE-1', quantity: 1 },
            ],
            catalogOf(laptop, mouse, cable),
          ),
        )
        .thenThrows('ORDER.INVALID_ITEMS')
      expect(error).toMatchObject({
        kind: 'invalid',
        errors: [
          { path: 'body/items/0/quantity' },
          { path: 'body/items/1/quantity' },
          { path: 'body/items/2/quantity' },
          { path: 'body/items/4/sku' },
        ],
      })
    })
  })

  describe('amounts beyond Number.MAX_SAFE_INTEGER', () => {
    const single = (unit_price: number, quantity: number, tax_rate_bp: number) =>
      place([{ sku: 'BIG-1', quantity }], catalogOf(skuState({ sku: 'BIG-1', unit_price, tax_rate_bp })))

    it('accepts a line exactly at the limit (no tax)', () => {
      expect(placed(single(MAX, 1, 0))).toMatchObject({ subtotal: MAX, tax_amount: 0, total_amount: MAX })
    })

    it('accepts a line whose subtotal plus tax is exactly the limit', () => {
      // 9006298624878503 + round(900629862487.8503) = 9006298624878503 + 900629862488 = MAX
      expect(placed(single(9_006_298_624_878_503, 1, 1))).toMatchObject({
        items: [{ line_subtotal: 9_006_298_624_878_503, line_tax: 900_629_862_488, line_total: MAX }],
        total_amount: MAX,
      })
    })

    it.each([
      ['the tax pushes the line past the limit by 1', 9_006_298_624_878_504, 1, 1],
      ['the tax pushes a MAX subtotal past the limit', MAX, 1, 1800],
      ['quantity × price is past the limit (2 × 2^52 = MAX + 1)', 2 ** 52, 2, 0],
      ['quantity × price is far past the limit', MAX, MAX_QUANTITY, 0],
    ])('rejects a line when %s: ORDER.AMOUNT_TOO_LARGE', (_label, unitPrice, quantity, rate) => {
      const error = spec
        .given([])
        .when(single(unitPrice, quantity, rate))
        .thenThrows('ORDER.AMOUNT_TOO_LARGE')
      expect(error).toMatchObject({ kind: 'unprocessable', errors: [{ path: 'body/items/0' }] })
    })

    it('names the offending line exactly, without rounding', () => {
      const error = spec
        .given([])
        .when(single(9_006_298_624_878_504, 1, 1))
        .thenThrows('ORDER.AMOUNT_TOO_LARGE')
      expect(error).toMatchObject({ errors: [{ message: containing('9007199254740992') }] })
    })

    const two = (first: number, second: number) =>
      place(
        [
          { sku: 'BIG-1', quantity: 1 },
          { sku: 'BIG-2', quantity: 1 },
        ],
        catalogOf(skuState({ sku: 'BIG-1', unit_price: first }), skuState({ sku: 'BIG-2', unit_price: second })),
      )

    it('accepts lines whose total is exactly the limit', () => {
      expect(placed(two(MAX - 1, 1))).toMatchObject({ subtotal: MAX, total_amount: MAX })
    })

    it('rejects lines each within the limit whose total is past it', () => {
      const error = spec
        .given([])
        .when(two(MAX - 1, 2))
        .thenThrows('ORDER.AMOUNT_TOO_LARGE')
      expect(error).toMatchObject({ errors: [{ path: 'body/items', message: containing('9007199254740992') }] })
    })
  })

  it('a price change after an order leaves the order unchanged; a new order uses the new price', () => {
    const skuCreated: SkuEvent = {
      type: 'sku.created',
      data: { sku: 'LAPTOP-1', name: 'Laptop 14"', unit_price: 100_000, currency: 'INR', tax_rate_bp: 1800 },
    }
    const skuBefore = skuDecider.evolve(skuDecider.initialState(), skuCreated)
    const orderHistory = orderDecider.decide(
      place([{ sku: 'LAPTOP-1', quantity: 1 }], new Map([['LAPTOP-1', skuBefore]])),
      orderDecider.initialState(),
    )
    expect(orderHistory).toStrictEqual([orderCreated])
    const snapshot = structuredClone(orderHistory)

    const priceChange = skuDecider.decide(
      { type: 'UpdateSku', data: { sku: 'LAPTOP-1', changes: { unit_price: 150_000 } } },
      skuBefore,
    )
    const skuAfter = [skuCreated, ...priceChange].reduce(skuDecider.evolve, skuDecider.initialState())
    expect(skuAfter).toMatchObject({ status: 'active', unit_price: 150_000 })

    spec.given(orderHistory).when(commands.confirm).then([confirmed])
    expect(orderHistory).toStrictEqual(snapshot)
    expect(orderHistory[0]).toMatchObject({
      data: { items: [{ unit_price: 100_000, line_total: 118_000 }], total_amount: 118_000 },
    })
    expect(orderHistory.reduce(orderDecider.evolve, orderDecider.initialState())).toStrictEqual({
      status: 'created',
      order_id: ORDER_ID,
      sales_rep: REP,
    })

    const second = placed(place([{ sku: 'LAPTOP-1', quantity: 1 }], new Map([['LAPTOP-1', skuAfter]]), { order_id: 'ORD-00002' }))
    expect(second).toMatchObject({
      order_id: 'ORD-00002',
      items: [{ unit_price: 150_000, line_subtotal: 150_000, line_tax: 27_000, line_total: 177_000 }],
      total_amount: 177_000,
    })
  })
})

describe('order decider: lifecycle', () => {
  it.each<[string, OrderEvent[], OrderCommand, OrderEvent]>([
    ['created → confirm', historyIn.created, commands.confirm, confirmed],
    [
      'confirmed → ship with carrier and tracking number',
      historyIn.confirmed,
      { type: 'ShipOrder', data: { order_id: ORDER_ID, carrier: 'BlueDart', tracking_number: 'BD123' } },
      shipped,
    ],
    [
      'confirmed → ship with neither',
      historyIn.confirmed,
      commands.ship,
      { type: 'order.shipped', data: { order_id: ORDER_ID } },
    ],
    [
      'confirmed → ship with a carrier only',
      historyIn.confirmed,
      { type: 'ShipOrder', data: { order_id: ORDER_ID, carrier: 'DHL' } },
      { type: 'order.shipped', data: { order_id: ORDER_ID, carrier: 'DHL' } },
    ],
    ['shipped → deliver', historyIn.shipped, commands.deliver, delivered],
    [
      'created → cancel',
      historyIn.created,
      commands.cancel,
      { type: 'order.cancelled', data: { order_id: ORDER_ID, reason: 'no longer needed' } },
    ],
    [
      'confirmed → cancel',
      historyIn.confirmed,
      commands.cancel,
      { type: 'order.cancelled', data: { order_id: ORDER_ID, reason: 'no longer needed' } },
    ],
  ])('%s yields exactly that event', (_label, history, command, expected) => {
    spec.given(history).when(command).then([expected])
  })

  it.each<[keyof typeof commands, OrderStatus]>([
    ['confirm', 'confirmed'],
    ['confirm', 'shipped'],
    ['confirm', 'delivered'],
    ['confirm', 'cancelled'],
    ['ship', 'created'],
    ['ship', 'shipped'],
    ['ship', 'delivered'],
    ['ship', 'cancelled'],
    ['deliver', 'created'],
    ['deliver', 'confirmed'],
    ['deliver', 'delivered'],
    ['deliver', 'cancelled'],
    ['cancel', 'shipped'],
    ['cancel', 'delivered'],
    ['cancel', 'cancelled'],
  ])('%s when %s → ORDER.ILLEGAL_TRANSITION', (verb, status) => {
    const error = spec.given(historyIn[status]).when(commands[verb]).thenThrows('ORDER.ILLEGAL_TRANSITION')
    expect(error).toMatchObject({ kind: 'conflict', extensions: { current_status: status } })
  })

  it.each(Object.keys(commands) as (keyof typeof commands)[])(
    '%s on a never-created order → ORDER.ILLEGAL_TRANSITION',
    (verb) => {
      const error = spec.given([]).when(commands[verb]).thenThrows('ORDER.ILLEGAL_TRANSITION')
      expect(error).toMatchObject({ kind: 'conflict', extensions: { current_status: 'not created' } })
    },
  )

  it.each(Object.keys(historyIn) as OrderStatus[])('PlaceOrder on an existing %s order → ORDER.ILLEGAL_TRANSITION', (status) => {
    const error = spec
      .given(historyIn[status])
      .when(place([{ sku: 'LAPTOP-1', quantity: 1 }], catalogOf(laptop)))
      .thenThrows('ORDER.ILLEGAL_TRANSITION')
    expect(error).toMatchObject({ kind: 'conflict', extensions: { current_status: status } })
  })

  it('orderDecider.evolve follows the lifecycle and keeps order_id and sales_rep', () => {
    const fold = (events: OrderEvent[]) => events.reduce(orderDecider.evolve, orderDecider.initialState())
    expect(fold([])).toStrictEqual({ status: 'none' })
    for (const status of Object.keys(historyIn) as OrderStatus[]) {
      expect(fold(historyIn[status])).toStrictEqual({ status, order_id: ORDER_ID, sales_rep: REP })
    }
  })
})

import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { orderNumberFloor } from '../../src/commands/order-number-floor.js'
import { buildTestApp } from '../support/app.js'
import { ensureSalesRep } from '../support/auth.js'
import { createSku, placeOrder } from '../support/fixtures.js'

/** Where a shared order-number counter that has nothing to go on starts (src/commands/order-number-floor.ts). */
describe('the order-number floor', () => {
  let app: FastifyInstance
  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    await ensureSalesRep(app)
  })
  afterAll(async () => {
    await app.close()
  })

  it('is 0 for a log of SKUs alone, then the highest order number; past 1 000 events without an order, the head', async () => {
    const skus = [await createSku(app), await createSku(app), await createSku(app)].map((s) => s.sku)
    expect(await orderNumberFloor(app.eventStore)).toBe(0)

    await placeOrder(app, { skus })
    await placeOrder(app, { skus: [skus[0] ?? ''] })
    expect(await orderNumberFloor(app.eventStore)).toBe(2)

    // 1 000 more events, none an order: the orders are out of sight, so the head bounds them.
    for (let i = 0; i < 1000; i++) await createSku(app)
    const head = await app.eventStore.headPosition()
    expect(head).toBe(1005)
    expect(await orderNumberFloor(app.eventStore)).toBe(head)

    // An order among the newest events again: its number.
    await placeOrder(app, { skus })
    expect(await orderNumberFloor(app.eventStore)).toBe(3)
  })
})

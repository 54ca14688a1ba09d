// The demo data set behind `npm run demo` (DEMO=1): SKUs in two currencies, sales reps, and
// a few hundred orders over the last 30 days in every state — written through the same
// command handlers, deciders and validation as the API's commands, with the events dated
// when each step "happened", so reports and the live views have something to show.
import { randomBytes } from 'node:crypto'
import { defineAbilityFor } from '../auth/abilities.js'
import { createCommandHandler } from '../commands/command-handler.js'
import { createOrderCommands } from '../commands/order-commands.js'
import type { LifecycleCommand } from '../commands/order/decider.js'
import { createSkuCommands } from '../commands/sku-commands.js'
import type { SkuDetails } from '../commands/sku/decider.js'
import type { CommitLog } from '../events/commit-log.js'
import { createEventStore } from '../events/event-store.js'
import type { Sequences } from '../infra/sequence.js'
import { mulberry32 } from '../shared/seeded-random.js'
import type { Users } from '../users/users.js'
import { UserExistsError } from '../users/user.js'

export interface DemoDeps {
  log: CommitLog
  /** INSTANCE_ID, for the events' `metadata.source`. */
  source: string
  users: Users
  sequences: Sequences
  /** The admin the demo acts as. */
  admin: string
  /** The end of the 30 days (default: now). */
  now?: Date
  /** Seeded, so that every demo data set is the same (default: a fixed seed). */
  random?: () => number
}

export interface DemoSummary {
  skus: number
  salesReps: number
  orders: number
  byStatus: Record<string, number>
}

const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000
const ORDERS = 300

export const DEMO_SKUS: readonly SkuDetails[] = [
  { sku: 'TEA-ASSAM-1KG', name: 'Assam tea, 1 kg', unit_price: 64_900, currency: 'INR', tax_rate_bp: 500 },
  { sku: 'COFFEE-AR-500G', name: 'Arabica coffee beans, 500 g', unit_price: 89_000, currency: 'INR', tax_rate_bp: 500 },
  { sku: 'KETTLE-STEEL', name: 'Steel kettle, 1.5 l', unit_price: 249_900, currency: 'INR', tax_rate_bp: 1800 },
  { sku: 'MUG-SET-6', name: 'Stoneware mugs, set of 6', unit_price: 159_900, currency: 'INR', tax_rate_bp: 1200 },
  { sku: 'GRINDER-BURR', name: 'Burr grinder', unit_price: 12_900, currency: 'USD', tax_rate_bp: 825 },
  { sku: 'FILTER-PAPER-100', name: 'Paper filters, 100', unit_price: 699, currency: 'USD', tax_rate_bp: 825 },
  { sku: 'SCALE-DIGITAL', name: 'Digital brew scale', unit_price: 3_499, currency: 'USD', tax_rate_bp: 825 },
  { sku: 'POUR-OVER-02', name: 'Ceramic pour-over dripper', unit_price: 2_450, currency: 'USD', tax_rate_bp: 0 },
]

export const DEMO_SALES_REPS = [
  { email: 'asha.rao@demo.example', name: 'Asha Rao' },
  { email: 'ben.carter@demo.example', name: 'Ben Carter' },
  { email: 'chen.li@demo.example', name: 'Chen Li' },
  { email: 'diego.ruiz@demo.example', name: 'Diego Ruiz' },
]

const CUSTOMERS = ['Acme Traders', 'Blue Lotus Cafe', 'Northwind Foods', 'Sunrise Hotels', 'Cedar & Co', 'Harbor Bistro']
const CANCEL_REASONS = ['customer changed their mind', 'duplicate order', 'payment failed', 'out of delivery area']
const CARRIERS = ['DHL', 'Blue Dart', 'UPS', 'FedEx']

/**
 * Loads the demo data set into an empty store (returns undefined, writing nothing, if the
 * store already holds events). Sales reps get random passwords: an admin can set one with
 * `PATCH /api/users/:email`.
 */
export async function loadDemoData(deps: DemoDeps): Promise<DemoSummary | undefined> {
  if ((await deps.log.lastPosition()) > 0) return undefined
  const end = (deps.now ?? new Date()).getTime()
  const random = deps.random ?? mulberry32(20_250_301)
  let clock = end - 30 * DAY_MS
  const store = createEventStore(deps.log, { source: deps.source, now: () => new Date(clock) })
  const handle = createCommandHandler(store)
  const skus = createSkuCommands({ handle, store })
  const orders = createOrderCommands({
    handle,
    sequences: deps.sequences,
    loadSku: (sku) => skus.load(sku),
    isSalesRep: async (email) => (await deps.users.find(email))?.role === 'sales_rep',
  })
  const context = { actor: deps.admin, correlationId: 'demo-data' }
  const admin = defineAbilityFor({ sub: deps.admin, role: 'admin' })

  for (const rep of DEMO_SALES_REPS) {
    await deps.users
      .create({ ...rep, role: 'sales_rep', password: randomBytes(18).toString('base64url') })
      .catch((error: unknown) => {
        if (!(error instanceof UserExistsError)) throw error
      })
  }
  for (const sku of DEMO_SKUS) await skus.create(sku, context)

  // Every step of every order on one timeline, run in time order with the clock set to it.
  const steps: { at: number; run: () => Promise<unknown> }[] = []
  const byStatus: Record<string, number> = {}
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
  for (let i = 0; i < ORDERS; i++) {
    const placedAt = end - Math.floor(random() * 30 * DAY_MS) + 1
    const currency = random() < 0.6 ? 'INR' : 'USD'
    const catalogue = DEMO_SKUS.filter((sku) => sku.currency === currency)
    const items = [...new Set([pick(catalogue), pick(catalogue), pick(catalogue)].slice(0, 1 + Math.floor(random() * 3)))]
    let orderId = ''
    steps.push({
      at: placedAt,
      run: async () => {
        const placed = await orders.place(
          {
            customer: { name: pick(CUSTOMERS) },
            items: items.map((sku) => ({ sku: sku.sku, quantity: 1 + Math.floor(random() * 12) })),
            sales_rep: pick(DEMO_SALES_REPS).email,
          },
          { sub: deps.admin, role: 'admin' },
          context,
        )
        orderId = placed.order.order_id
      },
    })
    const lifecycle = (command: (id: string) => LifecycleCommand) => () => orders.transition(command(orderId), admin, context)
    let at = placedAt
    /** The next step's time: some hours after the previous one. */
    const later = (fromHours: number, toHours: number) => (at += (fromHours + random() * (toHours - fromHours)) * HOUR_MS)
    const plan: [status: string, at: number, run: () => Promise<unknown>][] =
      random() < 0.12
        ? [
            [
              'cancelled',
              later(1, 30),
              lifecycle((id) => ({ type: 'CancelOrder', data: { order_id: id, reason: pick(CANCEL_REASONS) } })),
            ],
          ]
        : [
            ['confirmed', later(0.5, 8), lifecycle((id) => ({ type: 'ConfirmOrder', data: { order_id: id } }))],
            [
              'shipped',
              later(12, 40),
              lifecycle((id) => ({
                type: 'ShipOrder',
                data: { order_id: id, carrier: pick(CARRIERS), tracking_number: `TRK${String(100_000 + i)}` },
              })),
            ],
            ['delivered', later(36, 96), lifecycle((id) => ({ type: 'DeliverOrder', data: { order_id: id } }))],
          ]
    let status = 'created'
    for (const [reached, when, run] of plan) {
      if (when > end) break // not happened yet
      steps.push({ at: when, run })
      status = reached
    }
    byStatus[status] = (byStatus[status] ?? 0) + 1
  }
  steps.sort((a, b) => a.at - b.at)
  for (const step of steps) {
    clock = step.at
    await step.run()
  }
  return { skus: DEMO_SKUS.length, salesReps: DEMO_SALES_REPS.length, orders: ORDERS, byStatus }
}

// Event histories for the projection contract: the hand-written specs' catalogue and event
// builders, and a seeded generator of realistic histories (reproducible from its seed).
import { priceLines } from '../../../src/commands/order/pricing.js'
import type { DomainEvent, EventData } from '../../../src/events/catalog.js'
import { QUARTER_HOUR_MS } from '../../../src/shared/quarter-hours.js'
import { mulberry32 } from '../../../src/shared/seeded-random.js'

export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR

/** The seed of the generated histories; override with PROJECTION_SEED to explore. */
export const SEED = Number(process.env.PROJECTION_SEED ?? 20_240_229)

/** One append: a single event of its stream, stored at `at` (epoch ms). */
export interface Commit {
  at: number
  event: DomainEvent
}

export interface CatalogEntry {
  sku: string
  name: string
  unit_price: number
  tax_rate_bp: number
  /** Default INR. */
  currency?: string
}

/** The catalogue of the hand-written specs. */
export const SKU_A: CatalogEntry = { sku: 'SKU-A', name: 'Widget', unit_price: 10_000, tax_rate_bp: 1800 }
export const SKU_B: CatalogEntry = { sku: 'SKU-B', name: 'Gadget', unit_price: 2_550, tax_rate_bp: 500 }
export const SKU_C: CatalogEntry = { sku: 'SKU-C', name: 'Gizmo', unit_price: 999, tax_rate_bp: 0 }
const SPEC_CATALOG: readonly CatalogEntry[] = [SKU_A, SKU_B, SKU_C]

export const streamOf = (event: DomainEvent): string =>
  event.type.startsWith('sku.')
    ? `sku-${(event.data as { sku: string }).sku}`
    : `order-${(event.data as { order_id: string }).order_id}`

export const at = (iso: string, event: DomainEvent): Commit => ({ at: Date.parse(iso), event })

export const skuEvents = {
  created: (entry: CatalogEntry): DomainEvent => ({ type: 'sku.created', data: { ...entry, currency: entry.currency ?? 'INR' } }),
  updated: (sku: string, changes: EventData<'sku.updated'>['changes']): DomainEvent => ({
    type: 'sku.updated',
    data: { sku, changes },
  }),
  deactivated: (sku: string, reason?: string): DomainEvent => ({
    type: 'sku.deactivated',
    data: reason === undefined ? { sku } : { sku, reason },
  }),
  reactivated: (sku: string): DomainEvent => ({ type: 'sku.reactivated', data: { sku } }),
}

export const orderEvents = {
  /** A priced `order.created` as the decider makes it, for `{ sku: quantity }` lines (in that order) of `catalog`. */
  created: (
    order_id: string,
    sales_rep: string,
    lines: Readonly<Record<string, number>>,
    options: { catalog?: readonly CatalogEntry[]; notes?: string; customer?: string } = {},
  ): DomainEvent => {
    const catalog = options.catalog ?? SPEC_CATALOG
    const entries = Object.entries(lines).map(([sku, quantity]) => {
      const entry = catalog.find((e) => e.sku === sku)
      if (!entry) throw new Error(`no ${sku} in the test catalogue`)
      return { entry, quantity }
    })
    const priced = priceLines(
      entries.map(({ entry, quantity }) => ({
        sku: entry.sku,
        name: entry.name,
        quantity,
        unit_price: entry.unit_price,
        tax_rate_bp: entry.tax_rate_bp,
      })),
    )
    return {
      type: 'order.created',
      data: {
        order_id,
        sales_rep,
        customer: { name: options.customer ?? 'ACME Ltd' },
        currency: entries[0]?.entry.currency ?? 'INR',
        ...priced,
        ...(options.notes === undefined ? {} : { notes: options.notes }),
      },
    }
  },
  confirmed: (order_id: string): DomainEvent => ({ type: 'order.confirmed', data: { order_id } }),
  shipped: (order_id: string, carrier?: string, tracking_number?: string): DomainEvent => ({
    type: 'order.shipped',
    data: {
      order_id,
      ...(carrier === undefined ? {} : { carrier }),
      ...(tracking_number === undefined ? {} : { tracking_number }),
    },
  }),
  delivered: (order_id: string): DomainEvent => ({ type: 'order.delivered', data: { order_id } }),
  cancelled: (order_id: string, reason: string): DomainEvent => ({ type: 'order.cancelled', data: { order_id, reason } }),
}

/** The seeded generator histories are made with (shared with the demo data set). */
export { mulberry32 }

/** Two currencies: an order is in one, so its lines come from that currency's SKUs. */
const GENERATED_CATALOG: readonly CatalogEntry[] = [
  { sku: 'SKU-APPLE', name: 'Apple crate', unit_price: 12_345, tax_rate_bp: 1800 },
  { sku: 'SKU-BOLT', name: 'Bolt box', unit_price: 799, tax_rate_bp: 1200 },
  { sku: 'SKU-CABLE', name: 'Cable drum', unit_price: 250_000, tax_rate_bp: 2800, currency: 'USD' },
  { sku: 'SKU-DESK', name: 'Desk', unit_price: 1_999_999, tax_rate_bp: 500, currency: 'USD' },
  { sku: 'SKU-EGG', name: 'Egg tray', unit_price: 45, tax_rate_bp: 0 },
  { sku: 'SKU-FAN', name: 'Fan', unit_price: 4_999, tax_rate_bp: 0, currency: 'USD' },
]
const GENERATED_REPS = ['alice@example.com', 'bob@example.com', 'chandra@example.com', 'dana@example.com'] as const
const CARRIERS = ['DHL', 'BlueDart', 'FedEx'] as const

export interface HistoryOptions {
  seed: number
  orders: number
  days: number
  /** Epoch ms of the first possible order. */
  start: number
}

/**
 * A realistic history in time order: the catalogue (SKUs in INR and USD), a SKU that is updated, deactivated and
 * reactivated, and `orders` orders by several reps, each in one currency, at random times over `days` days (some
 * exactly on or just before a quarter hour), with random lines and quantities; about a
 * quarter are cancelled at a random later time (often on a later day), most of the others
 * move along confirmed → shipped → delivered.
 */
export function generateHistory({ seed, orders, days, start }: HistoryOptions): Commit[] {
  const rng = mulberry32(seed)
  const int = (low: number, high: number) => low + Math.floor(rng() * (high - low + 1))
  const commits: Commit[] = []
  const add = (time: number, event: DomainEvent) => commits.push({ at: time, event })
  const shuffle = <T>(items: readonly T[]): T[] => {
    const copy = [...items]
    for (let i = copy.length - 1; i > 0; i--) {
      const j = int(0, i)
      ;[copy[i], copy[j]] = [copy[j] as T, copy[i] as T]
    }
    return copy
  }

  for (const [i, entry] of GENERATED_CATALOG.entries()) add(start - HOUR + i * 1000, skuEvents.created(entry))
  const retired = { sku: 'SKU-RETIRED', name: 'Old stock', unit_price: 5_000, tax_rate_bp: 1800 }
  add(start - HOUR + 10_000, skuEvents.created(retired))
  add(start + DAY / 2, skuEvents.updated(retired.sku, { unit_price: 4_200 }))
  add(start + DAY, skuEvents.deactivated(retired.sku, 'supplier gone'))
  add(start + 2 * DAY, skuEvents.updated(retired.sku, { name: 'Old stock v2', tax_rate_bp: 1200 }))
  add(start + 3 * DAY, skuEvents.reactivated(retired.sku))
  add(start + 4 * DAY, skuEvents.deactivated(retired.sku))
  // Spare SKUs nobody orders, each through a random lifecycle over the period.
  for (let i = 1; i <= 4; i++) {
    const spare = { sku: `SKU-SPARE-${i}`, name: `Spare ${i}`, unit_price: int(100, 90_000), tax_rate_bp: int(0, 2800) }
    add(start - HOUR + 20_000 + i * 1000, skuEvents.created(spare))
    let active = true
    const times = Array.from({ length: int(4, 8) }, () => start + Math.floor(rng() * days * DAY)).sort((a, b) => a - b)
    for (const time of times) {
      if (!active) add(time, skuEvents.reactivated(spare.sku))
      else if (rng() < 0.6) {
        const changes =
          rng() < 0.5 ? { unit_price: int(100, 90_000) } : { name: `Spare ${i} v${int(2, 9)}`, tax_rate_bp: int(0, 2800) }
        add(time, skuEvents.updated(spare.sku, changes))
        continue
      } else add(time, skuEvents.deactivated(spare.sku, rng() < 0.5 ? 'end of season' : undefined))
      active = !active
    }
  }

  for (let n = 1; n <= orders; n++) {
    const id = `ORD-${String(n).padStart(5, '0')}`
    let created = start + Math.floor(rng() * days * DAY)
    const edge = rng()
    if (edge < 0.1)
      created -= created % QUARTER_HOUR_MS // exactly on a quarter hour
    else if (edge < 0.15) created += QUARTER_HOUR_MS - 1 - (created % QUARTER_HOUR_MS) // its very last millisecond
    const rep = GENERATED_REPS[int(0, GENERATED_REPS.length - 1)] as string
    const currency = rng() < 0.6 ? 'INR' : 'USD'
    const skus = shuffle(GENERATED_CATALOG.filter((entry) => (entry.currency ?? 'INR') === currency)).slice(0, int(1, 3))
    const lines = Object.fromEntries(skus.map((entry) => [entry.sku, rng() < 0.1 ? int(50, 500) : int(1, 12)]))
    add(created, orderEvents.created(id, rep, lines, { catalog: GENERATED_CATALOG, customer: `Customer ${int(1, 40)}` }))

    let time = created
    const later = (maxMs: number) => (time += int(MINUTE, maxMs))
    if (rng() < 0.25) {
      if (rng() < 0.4) add(later(2 * HOUR), orderEvents.confirmed(id))
      add(later(3 * DAY), orderEvents.cancelled(id, `reason ${int(1, 5)}`))
    } else if (rng() < 0.7) {
      add(later(6 * HOUR), orderEvents.confirmed(id))
      if (rng() < 0.6) {
        const carrier = rng() < 0.7 ? CARRIERS[int(0, CARRIERS.length - 1)] : undefined
        add(later(DAY), orderEvents.shipped(id, carrier, carrier && `${carrier}-${int(100_000, 999_999)}`))
        if (rng() < 0.6) add(later(2 * DAY), orderEvents.delivered(id))
      }
    }
  }
  // Appends happen in time order (a stable sort keeps an order's own events in sequence).
  return commits.sort((a, b) => a.at - b.at)
}

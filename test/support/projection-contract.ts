import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { priceLines } from '../../src/commands/order/pricing.js'
import type { DomainEvent, EventData } from '../../src/events/catalog.js'
import type { StoredEvent } from '../../src/events/envelope.js'
import type { EventStore } from '../../src/events/event-store.js'
import type { HeldLease, LeaseStore } from '../../src/projections/leases.js'
import { type OrderReadModel, ordersCollection, ordersProjection } from '../../src/projections/orders-projection.js'
import type { ProjectionDefinition } from '../../src/projections/projection.js'
import type { ReadModelCollection, ReadModelDocument, ReadModelStore } from '../../src/projections/read-model.js'
import { type SkuReadModel, skusCollection, skusProjection } from '../../src/projections/skus-projection.js'
import { startSubscription } from '../../src/projections/subscription.js'
import {
  ALL_SKUS,
  BUCKET_MS,
  type SummaryCounters,
  type SummaryRow,
  summariesCollection,
  summariesProjection,
} from '../../src/projections/summaries-projection.js'
import { type Report, type ReportBucket, createReportQueries } from '../../src/queries/report-queries.js'
import { eventually, within } from './wait.js'

export interface ProjectionFixture {
  readModels: ReadModelStore
  /** An empty event store whose clock is the `now` handed to the factory. */
  store: EventStore
  leases: LeaseStore
  cleanup(): Promise<void>
}

/** Gives each test (or property suite) fresh, empty stores; the event store must stamp events with `now`. */
export type ProjectionFixtureFactory = (options: { now: () => Date }) => Promise<ProjectionFixture>

export interface ProjectionContractOptions {
  /** Orders in the summaries property test (default 300; keep it modest on FerretDB). */
  propertyOrders?: number
  /** Orders in the mixed histories of the idempotency and crash tests (default 25). */
  historyOrders?: number
  /** Lease TTL of the subscription that "crashes" (default 600 ms): how long its successor waits. */
  crashedLeaseTtlMs?: number
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const who = { actor: 'rep@example.com', correlationId: 'projection-contract' }

/** The seed of the generated histories; override with PROJECTION_SEED to explore. */
const SEED = Number(process.env.PROJECTION_SEED ?? 20_240_229)

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/** One append: a single event of its stream, stored at `at` (epoch ms). */
interface Commit {
  at: number
  event: DomainEvent
}

interface CatalogEntry {
  sku: string
  name: string
  unit_price: number
  tax_rate_bp: number
}

const SPEC_CATALOG: readonly CatalogEntry[] = [
  { sku: 'SKU-A', name: 'Widget', unit_price: 10_000, tax_rate_bp: 1800 },
  { sku: 'SKU-B', name: 'Gadget', unit_price: 2_550, tax_rate_bp: 500 },
  { sku: 'SKU-C', name: 'Gizmo', unit_price: 999, tax_rate_bp: 0 },
]

const streamOf = (event: DomainEvent): string =>
  event.type.startsWith('sku.')
    ? `sku-${(event.data as { sku: string }).sku}`
    : `order-${(event.data as { order_id: string }).order_id}`

const at = (iso: string, event: DomainEvent): Commit => ({ at: Date.parse(iso), event })

const skuEvents = {
  created: (entry: CatalogEntry): DomainEvent => ({ type: 'sku.created', data: { ...entry, currency: 'INR' } }),
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

const orderEvents = {
  /** A priced `order.created` as the decider makes it, for `{ sku: quantity }` lines (in that order) of `catalog`. */
  created: (
    order_id: string,
    sales_rep: string,
    lines: Readonly<Record<string, number>>,
    options: { catalog?: readonly CatalogEntry[]; notes?: string; customer?: string } = {},
  ): DomainEvent => {
    const catalog = options.catalog ?? SPEC_CATALOG
    const priced = priceLines(
      Object.entries(lines).map(([sku, quantity]) => {
        const entry = catalog.find((e) => e.sku === sku)
        if (!entry) throw new Error(`no ${sku} in the test catalogue`)
        return { sku, name: entry.name, quantity, unit_price: entry.unit_price, tax_rate_bp: entry.tax_rate_bp }
      }),
    )
    return {
      type: 'order.created',
      data: {
        order_id,
        sales_rep,
        customer: { name: options.customer ?? 'ACME Ltd' },
        currency: 'INR',
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

/** mulberry32: a tiny seeded PRNG, so every generated history can be reproduced from its seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const GENERATED_CATALOG: readonly CatalogEntry[] = [
  { sku: 'SKU-APPLE', name: 'Apple crate', unit_price: 12_345, tax_rate_bp: 1800 },
  { sku: 'SKU-BOLT', name: 'Bolt box', unit_price: 799, tax_rate_bp: 1200 },
  { sku: 'SKU-CABLE', name: 'Cable drum', unit_price: 250_000, tax_rate_bp: 2800 },
  { sku: 'SKU-DESK', name: 'Desk', unit_price: 1_999_999, tax_rate_bp: 500 },
  { sku: 'SKU-EGG', name: 'Egg tray', unit_price: 45, tax_rate_bp: 0 },
]
const GENERATED_REPS = ['alice@example.com', 'bob@example.com', 'chandra@example.com', 'dana@example.com'] as const
const CARRIERS = ['DHL', 'BlueDart', 'FedEx'] as const

interface HistoryOptions {
  seed: number
  orders: number
  days: number
  /** Epoch ms of the first possible order. */
  start: number
}

/**
 * A realistic history in time order: the catalogue, a SKU that is updated, deactivated and
 * reactivated, and `orders` orders by several reps at random times over `days` days (some
 * exactly on or just before a quarter hour), with random lines and quantities; about a
 * quarter are cancelled at a random later time (often on a later day), most of the others
 * move along confirmed → shipped → delivered.
 */
function generateHistory({ seed, orders, days, start }: HistoryOptions): Commit[] {
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
      created -= created % BUCKET_MS // exactly on a quarter hour
    else if (edge < 0.15) created += BUCKET_MS - 1 - (created % BUCKET_MS) // its very last millisecond
    const rep = GENERATED_REPS[int(0, GENERATED_REPS.length - 1)] as string
    const skus = shuffle(GENERATED_CATALOG).slice(0, int(1, 3))
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

// ---------------------------------------------------------------------------------------------
// Projections under test, and reading a read model whole
// ---------------------------------------------------------------------------------------------

interface ProjectionUnderTest<T extends ReadModelDocument> {
  definition: ProjectionDefinition
  collection: (readModels: ReadModelStore, generation: number) => ReadModelCollection<T>
  /** The collection's sort field (what `list` orders by). */
  sort: string
}

const ORDERS: ProjectionUnderTest<OrderReadModel> = {
  definition: ordersProjection,
  collection: ordersCollection,
  sort: 'created_position',
}
const SKUS: ProjectionUnderTest<SkuReadModel> = {
  definition: skusProjection,
  collection: skusCollection,
  sort: 'created_position',
}
const SUMMARIES: ProjectionUnderTest<SummaryRow> = {
  definition: summariesProjection,
  collection: summariesCollection,
  sort: 'bucket',
}
const ALL_PROJECTIONS: readonly ProjectionUnderTest<ReadModelDocument>[] = [ORDERS, SKUS, SUMMARIES]

/** Projections ignore the lease they are handed; direct applications get this one. */
const NO_LEASE: HeldLease = {
  name: 'direct',
  token: 1,
  position: 0,
  valid: () => true,
  renew: () => Promise.resolve(),
  checkpoint: () => Promise.resolve(),
  release: () => Promise.resolve(),
}

const byId = <T extends ReadModelDocument>(docs: readonly T[]): T[] =>
  [...docs].sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0))

/** Every document of one generation, ordered by `_id` for comparisons. */
async function snapshot<T extends ReadModelDocument>(
  target: ProjectionUnderTest<T>,
  readModels: ReadModelStore,
  generation: number,
): Promise<T[]> {
  const docs = await target.collection(readModels, generation).list([], { sort: target.sort, descending: false, limit: 1e9 })
  return byId(docs)
}

/** Builds `generation` by applying `batches` in turn (replays included), and returns its documents. */
async function build<T extends ReadModelDocument>(
  target: ProjectionUnderTest<T>,
  fixture: ProjectionFixture,
  generation: number,
  batches: readonly (readonly StoredEvent[])[],
): Promise<T[]> {
  const projection = target.definition.generation(fixture.readModels, generation, fixture.store)
  await projection.ensureIndexes()
  for (const batch of batches) await projection.apply([...batch], NO_LEASE)
  return snapshot(target, fixture.readModels, generation)
}

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

/** A read model store whose writes first go through `before` (to count them, or to "crash" in one). */
function interceptWrites(inner: ReadModelStore, before: (position: number) => Promise<void>): ReadModelStore {
  return {
    collection<T extends ReadModelDocument>(name: string, sort: string): ReadModelCollection<T> {
      const collection = inner.collection<T>(name, sort)
      return {
        get: (id) => collection.get(id),
        list: (filters, options) => collection.list(filters, options),
        putGuarded: async (doc) => {
          await before(doc.last_position)
          return collection.putGuarded(doc)
        },
        incGuarded: async (id, position, inc, init) => {
          await before(position)
          return collection.incGuarded(id, position, inc, init)
        },
        ensureIndexes: (indexes) => collection.ensureIndexes(indexes),
        drop: () => collection.drop(),
      }
    },
  }
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

// ---------------------------------------------------------------------------------------------
// Brute-force summaries
// ---------------------------------------------------------------------------------------------

const COUNTERS = [
  'order_count',
  'items_sold',
  'subtotal',
  'tax_amount',
  'total_amount',
  'cancelled_count',
  'cancelled_amount',
] as const satisfies readonly (keyof SummaryCounters)[]

const zero = (): SummaryCounters => ({
  order_count: 0,
  items_sold: 0,
  subtotal: 0,
  tax_amount: 0,
  total_amount: 0,
  cancelled_count: 0,
  cancelled_amount: 0,
})

/** Per SKU of an order (each SKU once): its counters in that SKU's row. */
function skuLines(order: EventData<'order.created'>): Map<string, SummaryCounters> {
  const lines = new Map<string, SummaryCounters>()
  for (const item of order.items) {
    const line = lines.get(item.sku) ?? { ...zero(), order_count: 1 }
    line.items_sold += item.quantity
    line.subtotal += item.line_subtotal
    line.tax_amount += item.line_tax
    line.total_amount += item.line_total
    lines.set(item.sku, line)
  }
  return lines
}

/**
 * The facts the summaries are made of, straight from the events: one per order creation
 * (the order-level figures and each SKU's), and one per cancellation, carrying the time
 * and rep of the order's *creation*.
 */
interface SummaryFact {
  position: number
  createdAt: number
  salesRep: string
  order: SummaryCounters
  skus: Map<string, SummaryCounters>
}

function summaryFacts(events: readonly StoredEvent[]): SummaryFact[] {
  const creations = new Map<string, SummaryFact>()
  const facts: SummaryFact[] = []
  for (const event of events) {
    if (event.type === 'order.created') {
      const order = event.data as EventData<'order.created'>
      const fact: SummaryFact = {
        position: event.position,
        createdAt: Date.parse(event.metadata.timestamp),
        salesRep: order.sales_rep,
        order: {
          ...zero(),
          order_count: 1,
          items_sold: order.items.reduce((sum, item) => sum + item.quantity, 0),
          subtotal: order.subtotal,
          tax_amount: order.tax_amount,
          total_amount: order.total_amount,
        },
        skus: skuLines(order),
      }
      creations.set(event.stream, fact)
      facts.push(fact)
    } else if (event.type === 'order.cancelled') {
      const creation = creations.get(event.stream)
      if (!creation) throw new Error(`cancellation of ${event.stream} before its creation`)
      const cancelled = (counters: SummaryCounters): SummaryCounters => ({
        ...zero(),
        cancelled_count: 1,
        cancelled_amount: counters.total_amount,
      })
      facts.push({
        ...creation,
        position: event.position,
        order: cancelled(creation.order),
        skus: new Map([...creation.skus].map(([sku, line]) => [sku, cancelled(line)])),
      })
    }
  }
  return facts
}

const countersOf = (source: SummaryCounters): SummaryCounters => {
  const counters = zero()
  for (const counter of COUNTERS) counters[counter] = source[counter]
  return counters
}

const addInto = (target: SummaryCounters, counters: SummaryCounters) => {
  for (const counter of COUNTERS) target[counter] += counters[counter]
}

/** The rows `order_summaries` must hold for these events, recomputed from scratch. */
function bruteForceRows(events: readonly StoredEvent[]): SummaryRow[] {
  const rows = new Map<string, SummaryRow>()
  const touch = (bucket: number, salesRep: string, sku: string, position: number, counters: SummaryCounters) => {
    const id = `${bucket}|${salesRep}|${sku}`
    const row = rows.get(id) ?? { _id: id, last_position: 0, bucket, sales_rep: salesRep, sku, ...zero() }
    addInto(row, counters)
    row.last_position = Math.max(row.last_position, position)
    rows.set(id, row)
  }
  for (const fact of summaryFacts(events)) {
    const bucket = fact.createdAt - (fact.createdAt % BUCKET_MS)
    touch(bucket, fact.salesRep, ALL_SKUS, fact.position, fact.order)
    for (const [sku, line] of fact.skus) touch(bucket, fact.salesRep, sku, fact.position, line)
  }
  return byId([...rows.values()])
}

type GroupBy = 'none' | 'sales_rep' | 'sku'
type Granularity = 'hour' | 'day' | 'month'

/** A report bucket with its bounds as epoch ms and its group (rep, SKU or '') in one field. */
type FlatBucket = SummaryCounters & { start: number; end: number; group: string; net_amount: number; average_order_value: number }

const roundHalfUp = (total: number, count: number) =>
  count === 0 ? 0 : Number((2n * BigInt(total) + BigInt(count)) / (2n * BigInt(count)))

const byStartAndGroup = (a: FlatBucket, b: FlatBucket) =>
  a.start - b.start || (a.group < b.group ? -1 : a.group > b.group ? 1 : 0)

function flatten(report: Report): FlatBucket[] {
  return report.buckets
    .map((bucket: ReportBucket): FlatBucket => ({
      start: Date.parse(bucket.start),
      end: Date.parse(bucket.end),
      group: bucket.sales_rep ?? bucket.sku ?? '',
      ...countersOf(bucket),
      net_amount: bucket.net_amount,
      average_order_value: bucket.average_order_value,
    }))
    .sort(byStartAndGroup)
}

/** Local period bounds in a zone of fixed offset (`offsetMin` east of UTC; no DST in the zones used). */
function periodOf(ms: number, granularity: Granularity, offsetMin: number): { start: number; end: number } {
  const offset = offsetMin * MINUTE
  const local = ms + offset
  if (granularity === 'month') {
    const date = new Date(local)
    return {
      start: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) - offset,
      end: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) - offset,
    }
  }
  const length = granularity === 'day' ? DAY : HOUR
  const start = local - (((local % length) + length) % length) - offset
  return { start, end: start + length }
}

/** Adds up buckets per (period, group), as a report of that granularity must show them. */
function rollUp(
  items: readonly { at: number; group: string; counters: SummaryCounters }[],
  granularity: Granularity,
  offsetMin: number,
  to: number,
): FlatBucket[] {
  const sums = new Map<string, { start: number; end: number; group: string; counters: SummaryCounters }>()
  for (const item of items) {
    const { start, end } = periodOf(item.at, granularity, offsetMin)
    const key = `${start}|${item.group}`
    const entry = sums.get(key) ?? { start, end: Math.min(end, to), group: item.group, counters: zero() }
    addInto(entry.counters, item.counters)
    sums.set(key, entry)
  }
  return [...sums.values()]
    .map(({ start, end, group, counters }) => ({
      start,
      end,
      group,
      ...counters,
      net_amount: counters.total_amount - counters.cancelled_amount,
      average_order_value: roundHalfUp(counters.total_amount, counters.order_count),
    }))
    .sort(byStartAndGroup)
}

/** A report recomputed from the raw events (order creations and cancellations) alone. */
function bruteForceReport(
  events: readonly StoredEvent[],
  groupBy: GroupBy,
  granularity: Granularity,
  offsetMin: number,
  to: number,
): FlatBucket[] {
  const items = summaryFacts(events).flatMap((fact) => {
    if (groupBy === 'sku') return [...fact.skus].map(([sku, counters]) => ({ at: fact.createdAt, group: sku, counters }))
    return [{ at: fact.createdAt, group: groupBy === 'sales_rep' ? fact.salesRep : '', counters: fact.order }]
  })
  return rollUp(items, granularity, offsetMin, to)
}

// ---------------------------------------------------------------------------------------------
// The contract
// ---------------------------------------------------------------------------------------------

/**
 * The read-side projections (orders, skus, summaries) against one storage adapter:
 * given/when/then specs, idempotent replays, a crash between read-model writes and their
 * checkpoint, and a property test of the summaries and the reports built on them.
 */
export function projectionContract(
  adapter: string,
  make: ProjectionFixtureFactory,
  options: ProjectionContractOptions = {},
): void {
  const propertyOrders = options.propertyOrders ?? 300
  const crashedLeaseTtlMs = options.crashedLeaseTtlMs ?? 600
  const historyOrders = options.historyOrders ?? 25

  describe(`projections (${adapter})`, () => {
    let clock = 0
    const now = () => new Date(clock)

    /** Appends each commit at its time, in order; returns every stored event (real positions and metadata). */
    async function record(store: EventStore, commits: readonly Commit[]): Promise<StoredEvent[]> {
      for (const commit of commits) {
        clock = commit.at
        await store.append(streamOf(commit.event), [commit.event], who)
      }
      const events: StoredEvent[] = []
      for (let after = 0; ;) {
        const page = await store.readAll({ after, limit: 500 })
        if (page.events.length === 0) return events
        events.push(...page.events)
        after = page.position
      }
    }

    /** A fresh fixture for each test of the enclosing describe. */
    function freshFixtureEachTest(): () => ProjectionFixture {
      let fixture: ProjectionFixture | undefined
      beforeEach(async () => {
        fixture = await make({ now })
      })
      afterEach(async () => {
        await fixture?.cleanup()
        fixture = undefined
      })
      return () => {
        if (!fixture) throw new Error('no fixture outside a test')
        return fixture
      }
    }

    /**
     * Given these commits (appended through the real event store), when the projection
     * applies them — as one batch, and again one event per batch into another generation —
     * then the read model holds exactly these documents, and nothing else.
     */
    function projectionSpec<T extends ReadModelDocument>(target: ProjectionUnderTest<T>, fixture: () => ProjectionFixture) {
      return {
        given: (...commits: Commit[]) => ({
          then: async (expected: readonly T[]) => {
            const events = await record(fixture().store, commits)
            const oneBatch = await build(target, fixture(), 1, [events])
            const eventByEvent = await build(
              target,
              fixture(),
              2,
              events.map((event) => [event]),
            )
            expect(oneBatch, 'applied as one batch').toStrictEqual(byId(expected))
            expect(eventByEvent, 'applied one event per batch').toStrictEqual(byId(expected))
          },
        }),
      }
    }

    const SKU_A = { sku: 'SKU-A', name: 'Widget', unit_price: 10_000, tax_rate_bp: 1800 }
    const SKU_B = { sku: 'SKU-B', name: 'Gadget', unit_price: 2_550, tax_rate_bp: 500 }
    const SKU_C = { sku: 'SKU-C', name: 'Gizmo', unit_price: 999, tax_rate_bp: 0 }
    const lineOf = (entry: CatalogEntry, quantity: number, line_subtotal: number, line_tax: number) => ({
      ...entry,
      quantity,
      line_subtotal,
      line_tax,
      line_total: line_subtotal + line_tax,
    })

    describe('orders projection', () => {
      const fixture = freshFixtureEachTest()
      const spec = projectionSpec(ORDERS, fixture)
      const catalogue = [
        at('2024-03-01T08:00:00.000Z', skuEvents.created(SKU_A)),
        at('2024-03-01T08:00:01.000Z', skuEvents.created(SKU_B)),
      ]

      it('created → confirmed → shipped (carrier, tracking number) → delivered', async () => {
        await spec
          .given(
            ...catalogue,
            at('2024-03-01T09:05:00.000Z', orderEvents.created('ORD-00001', 'alice@example.com', { 'SKU-A': 2, 'SKU-B': 1 })),
            at('2024-03-01T10:00:00.000Z', orderEvents.confirmed('ORD-00001')),
            at('2024-03-01T12:30:00.000Z', orderEvents.shipped('ORD-00001', 'DHL', 'DHL-123456')),
            at('2024-03-02T08:15:00.000Z', orderEvents.delivered('ORD-00001')),
          )
          .then([
            {
              _id: 'ORD-00001',
              order_id: 'ORD-00001',
              sales_rep: 'alice@example.com',
              customer: { name: 'ACME Ltd' },
              items: [lineOf(SKU_A, 2, 20_000, 3_600), lineOf(SKU_B, 1, 2_550, 128)],
              currency: 'INR',
              subtotal: 22_550,
              tax_amount: 3_728,
              total_amount: 26_278,
              status: 'delivered',
              version: 4,
              position: 6,
              last_position: 6,
              created_position: 3,
              skus: ['SKU-A', 'SKU-B'],
              created_at: '2024-03-01T09:05:00.000Z',
              updated_at: '2024-03-02T08:15:00.000Z',
              confirmed_at: '2024-03-01T10:00:00.000Z',
              shipped_at: '2024-03-01T12:30:00.000Z',
              delivered_at: '2024-03-02T08:15:00.000Z',
              carrier: 'DHL',
              tracking_number: 'DHL-123456',
            },
          ])
      })

      it('created → cancelled with its reason, next to another rep’s order left confirmed', async () => {
        await spec
          .given(
            ...catalogue,
            at('2024-03-01T09:05:00.000Z', orderEvents.created('ORD-00001', 'alice@example.com', { 'SKU-B': 4 })),
            at('2024-03-01T09:06:00.000Z', orderEvents.created('ORD-00002', 'bob@example.com', { 'SKU-A': 1 })),
            at('2024-03-01T09:30:00.000Z', orderEvents.confirmed('ORD-00002')),
            at('2024-03-03T17:45:00.000Z', orderEvents.cancelled('ORD-00001', 'customer changed their mind')),
          )
          .then([
            {
              _id: 'ORD-00001',
              order_id: 'ORD-00001',
              sales_rep: 'alice@example.com',
              customer: { name: 'ACME Ltd' },
              items: [lineOf(SKU_B, 4, 10_200, 510)],
              currency: 'INR',
              subtotal: 10_200,
              tax_amount: 510,
              total_amount: 10_710,
              status: 'cancelled',
              version: 2,
              position: 6,
              last_position: 6,
              created_position: 3,
              skus: ['SKU-B'],
              created_at: '2024-03-01T09:05:00.000Z',
              updated_at: '2024-03-03T17:45:00.000Z',
              cancelled_at: '2024-03-03T17:45:00.000Z',
              cancel_reason: 'customer changed their mind',
            },
            {
              _id: 'ORD-00002',
              order_id: 'ORD-00002',
              sales_rep: 'bob@example.com',
              customer: { name: 'ACME Ltd' },
              items: [lineOf(SKU_A, 1, 10_000, 1_800)],
              currency: 'INR',
              subtotal: 10_000,
              tax_amount: 1_800,
              total_amount: 11_800,
              status: 'confirmed',
              version: 2,
              position: 5,
              last_position: 5,
              created_position: 4,
              skus: ['SKU-A'],
              created_at: '2024-03-01T09:06:00.000Z',
              updated_at: '2024-03-01T09:30:00.000Z',
              confirmed_at: '2024-03-01T09:30:00.000Z',
            },
          ])
      })

      it('shipped without carrier or tracking number has neither field; a just-created order keeps its notes', async () => {
        await spec
          .given(
            ...catalogue,
            at('2024-03-01T09:00:00.000Z', orderEvents.created('ORD-00001', 'alice@example.com', { 'SKU-A': 1 })),
            at(
              '2024-03-01T09:00:00.000Z',
              orderEvents.created('ORD-00002', 'bob@example.com', { 'SKU-B': 3, 'SKU-A': 5 }, { notes: 'leave at gate' }),
            ),
            at('2024-03-01T09:10:00.000Z', orderEvents.confirmed('ORD-00001')),
            at('2024-03-01T09:20:00.000Z', orderEvents.shipped('ORD-00001')),
          )
          .then([
            {
              _id: 'ORD-00001',
              order_id: 'ORD-00001',
              sales_rep: 'alice@example.com',
              customer: { name: 'ACME Ltd' },
              items: [lineOf(SKU_A, 1, 10_000, 1_800)],
              currency: 'INR',
              subtotal: 10_000,
              tax_amount: 1_800,
              total_amount: 11_800,
              status: 'shipped',
              version: 3,
              position: 6,
              last_position: 6,
              created_position: 3,
              skus: ['SKU-A'],
              created_at: '2024-03-01T09:00:00.000Z',
              updated_at: '2024-03-01T09:20:00.000Z',
              confirmed_at: '2024-03-01T09:10:00.000Z',
              shipped_at: '2024-03-01T09:20:00.000Z',
            },
            {
              _id: 'ORD-00002',
              order_id: 'ORD-00002',
              sales_rep: 'bob@example.com',
              customer: { name: 'ACME Ltd' },
              items: [lineOf(SKU_B, 3, 7_650, 383), lineOf(SKU_A, 5, 50_000, 9_000)],
              currency: 'INR',
              subtotal: 57_650,
              tax_amount: 9_383,
              total_amount: 67_033,
              notes: 'leave at gate',
              status: 'created',
              version: 1,
              position: 4,
              last_position: 4,
              created_position: 4,
              skus: ['SKU-B', 'SKU-A'],
              created_at: '2024-03-01T09:00:00.000Z',
              updated_at: '2024-03-01T09:00:00.000Z',
            },
          ])
      })

      it('writes nothing for SKU events, nor for events of an order it never saw created', async () => {
        await spec
          .given(
            ...catalogue,
            at('2024-03-01T09:00:00.000Z', skuEvents.deactivated('SKU-A', 'recalled')),
            at('2024-03-01T09:10:00.000Z', orderEvents.confirmed('ORD-00009')),
          )
          .then([])
      })
    })

    describe('skus projection', () => {
      const fixture = freshFixtureEachTest()
      const spec = projectionSpec(SKUS, fixture)

      it('created; updated (only the fields that changed); deactivated with a reason; reactivated without it', async () => {
        await spec
          .given(
            at('2024-03-01T09:00:00.000Z', skuEvents.created(SKU_A)),
            at('2024-03-01T09:01:00.000Z', skuEvents.created(SKU_B)),
            at('2024-03-01T09:02:00.000Z', skuEvents.created(SKU_C)),
            at('2024-03-01T10:00:00.000Z', skuEvents.updated('SKU-A', { unit_price: 12_000 })),
            at('2024-03-01T10:30:00.000Z', skuEvents.updated('SKU-A', { name: 'Widget Pro', tax_rate_bp: 1200 })),
            at('2024-03-01T11:00:00.000Z', skuEvents.deactivated('SKU-B', 'discontinued')),
            at('2024-03-01T11:30:00.000Z', orderEvents.created('ORD-00001', 'alice@example.com', { 'SKU-C': 1 })),
            at('2024-03-01T12:00:00.000Z', skuEvents.deactivated('SKU-C', 'recalled')),
            at('2024-03-02T13:00:00.000Z', skuEvents.reactivated('SKU-B')),
            at('2024-03-02T14:00:00.000Z', skuEvents.deactivated('SKU-A')),
          )
          .then([
            {
              _id: 'SKU-A',
              sku: 'SKU-A',
              name: 'Widget Pro',
              unit_price: 12_000,
              currency: 'INR',
              tax_rate_bp: 1200,
              active: false,
              version: 4,
              position: 10,
              last_position: 10,
              created_position: 1,
              created_at: '2024-03-01T09:00:00.000Z',
              updated_at: '2024-03-02T14:00:00.000Z',
            },
            {
              _id: 'SKU-B',
              sku: 'SKU-B',
              name: 'Gadget',
              unit_price: 2_550,
              currency: 'INR',
              tax_rate_bp: 500,
              active: true,
              version: 3,
              position: 9,
              last_position: 9,
              created_position: 2,
              created_at: '2024-03-01T09:01:00.000Z',
              updated_at: '2024-03-02T13:00:00.000Z',
            },
            {
              _id: 'SKU-C',
              sku: 'SKU-C',
              name: 'Gizmo',
              unit_price: 999,
              currency: 'INR',
              tax_rate_bp: 0,
              active: false,
              deactivation_reason: 'recalled',
              version: 2,
              position: 8,
              last_position: 8,
              created_position: 3,
              created_at: '2024-03-01T09:02:00.000Z',
              updated_at: '2024-03-01T12:00:00.000Z',
            },
          ])
      })

      it('an update changing nothing known keeps every field but version, position and updated_at', async () => {
        await spec
          .given(
            at('2024-03-01T09:00:00.000Z', skuEvents.created(SKU_C)),
            at('2024-03-01T09:30:00.000Z', skuEvents.updated('SKU-C', {})),
          )
          .then([
            {
              _id: 'SKU-C',
              sku: 'SKU-C',
              name: 'Gizmo',
              unit_price: 999,
              currency: 'INR',
              tax_rate_bp: 0,
              active: true,
              version: 2,
              position: 2,
              last_position: 2,
              created_position: 1,
              created_at: '2024-03-01T09:00:00.000Z',
              updated_at: '2024-03-01T09:30:00.000Z',
            },
          ])
      })
    })

    describe('summaries projection', () => {
      const fixture = freshFixtureEachTest()
      const spec = projectionSpec(SUMMARIES, fixture)
      const row = (iso: string, sales_rep: string, sku: string, last_position: number, counters: Partial<SummaryCounters>) => {
        const bucket = Date.parse(iso)
        return { _id: `${bucket}|${sales_rep}|${sku}`, last_position, bucket, sales_rep, sku, ...zero(), ...counters }
      }

      it('rows per quarter hour × rep × SKU plus the order-level "*" row; cancellations count in the bucket of creation', async () => {
        await spec
          .given(
            at('2024-03-01T08:00:00.000Z', skuEvents.created(SKU_A)),
            at('2024-03-01T08:00:01.000Z', skuEvents.created(SKU_B)),
            at('2024-03-01T08:00:02.000Z', skuEvents.created(SKU_C)),
            // 09:00 bucket, alice: two orders, one cancelled the next day
            at('2024-03-01T09:05:00.000Z', orderEvents.created('ORD-00001', 'alice@example.com', { 'SKU-A': 2, 'SKU-B': 1 })),
            at('2024-03-01T09:14:59.999Z', orderEvents.created('ORD-00002', 'alice@example.com', { 'SKU-B': 4 })),
            // 09:15 bucket: alice once, bob once (cancelled two hours later)
            at('2024-03-01T09:15:00.000Z', orderEvents.created('ORD-00003', 'alice@example.com', { 'SKU-C': 3 })),
            at('2024-03-01T09:20:00.000Z', orderEvents.created('ORD-00004', 'bob@example.com', { 'SKU-A': 1, 'SKU-C': 1 })),
            at('2024-03-01T09:30:00.000Z', orderEvents.confirmed('ORD-00001')),
            at('2024-03-01T10:00:00.000Z', skuEvents.updated('SKU-A', { unit_price: 1 })),
            at('2024-03-01T11:40:00.000Z', orderEvents.cancelled('ORD-00004', 'duplicate')),
            at('2024-03-02T10:00:00.000Z', orderEvents.cancelled('ORD-00002', 'out of budget')),
          )
          .then([
            row('2024-03-01T09:00:00.000Z', 'alice@example.com', ALL_SKUS, 11, {
              order_count: 2,
              items_sold: 7,
              subtotal: 32_750,
              tax_amount: 4_238,
              total_amount: 36_988,
              cancelled_count: 1,
              cancelled_amount: 10_710,
            }),
            row('2024-03-01T09:00:00.000Z', 'alice@example.com', 'SKU-A', 4, {
              order_count: 1,
              items_sold: 2,
              subtotal: 20_000,
              tax_amount: 3_600,
              total_amount: 23_600,
            }),
            row('2024-03-01T09:00:00.000Z', 'alice@example.com', 'SKU-B', 11, {
              order_count: 2,
              items_sold: 5,
              subtotal: 12_750,
              tax_amount: 638,
              total_amount: 13_388,
              cancelled_count: 1,
              cancelled_amount: 10_710,
            }),
            row('2024-03-01T09:15:00.000Z', 'alice@example.com', ALL_SKUS, 6, {
              order_count: 1,
              items_sold: 3,
              subtotal: 2_997,
              total_amount: 2_997,
            }),
            row('2024-03-01T09:15:00.000Z', 'alice@example.com', 'SKU-C', 6, {
              order_count: 1,
              items_sold: 3,
              subtotal: 2_997,
              total_amount: 2_997,
            }),
            row('2024-03-01T09:15:00.000Z', 'bob@example.com', ALL_SKUS, 10, {
              order_count: 1,
              items_sold: 2,
              subtotal: 10_999,
              tax_amount: 1_800,
              total_amount: 12_799,
              cancelled_count: 1,
              cancelled_amount: 12_799,
            }),
            row('2024-03-01T09:15:00.000Z', 'bob@example.com', 'SKU-A', 10, {
              order_count: 1,
              items_sold: 1,
              subtotal: 10_000,
              tax_amount: 1_800,
              total_amount: 11_800,
              cancelled_count: 1,
              cancelled_amount: 11_800,
            }),
            row('2024-03-01T09:15:00.000Z', 'bob@example.com', 'SKU-C', 10, {
              order_count: 1,
              items_sold: 1,
              subtotal: 999,
              total_amount: 999,
              cancelled_count: 1,
              cancelled_amount: 999,
            }),
          ])
      })

      it('a cancellation in a later month still counts against the creation bucket', async () => {
        await spec
          .given(
            at('2024-02-29T23:59:59.999Z', orderEvents.created('ORD-00001', 'alice@example.com', { 'SKU-B': 1 })),
            at('2024-03-01T00:00:00.000Z', orderEvents.created('ORD-00002', 'alice@example.com', { 'SKU-B': 2 })),
            at('2024-03-01T00:00:00.001Z', orderEvents.cancelled('ORD-00001', 'too late')),
          )
          .then([
            row('2024-02-29T23:45:00.000Z', 'alice@example.com', ALL_SKUS, 3, {
              order_count: 1,
              items_sold: 1,
              subtotal: 2_550,
              tax_amount: 128,
              total_amount: 2_678,
              cancelled_count: 1,
              cancelled_amount: 2_678,
            }),
            row('2024-02-29T23:45:00.000Z', 'alice@example.com', 'SKU-B', 3, {
              order_count: 1,
              items_sold: 1,
              subtotal: 2_550,
              tax_amount: 128,
              total_amount: 2_678,
              cancelled_count: 1,
              cancelled_amount: 2_678,
            }),
            row('2024-03-01T00:00:00.000Z', 'alice@example.com', ALL_SKUS, 2, {
              order_count: 1,
              items_sold: 2,
              subtotal: 5_100,
              tax_amount: 255,
              total_amount: 5_355,
            }),
            row('2024-03-01T00:00:00.000Z', 'alice@example.com', 'SKU-B', 2, {
              order_count: 1,
              items_sold: 2,
              subtotal: 5_100,
              tax_amount: 255,
              total_amount: 5_355,
            }),
          ])
      })
    })

    describe('idempotency: replayed events change nothing', () => {
      const fixture = freshFixtureEachTest()
      const mixedHistory = () =>
        record(
          fixture().store,
          generateHistory({ seed: SEED, orders: historyOrders, days: 3, start: Date.parse('2024-02-28T00:00:00.000Z') }),
        )

      for (const target of ALL_PROJECTIONS) {
        const name = target.definition.name

        it(`${name}: the whole history applied twice, or each batch delivered twice, equals applying it once (seed ${SEED})`, async () => {
          const events = await mixedHistory()
          const once = await build(target, fixture(), 1, [events])
          expect(once.length).toBeGreaterThan(5)
          expect(await build(target, fixture(), 2, [events, events])).toStrictEqual(once)
          const doubled = chunks(events, 7).flatMap((batch) => [batch, batch])
          expect(await build(target, fixture(), 3, doubled)).toStrictEqual(once)
        })

        it(`${name}: overlapping batches (events[0..n] then events[k..n], sliding windows, old prefixes) equal applying once (seed ${SEED})`, async () => {
          const events = await mixedHistory()
          const n = events.length
          const once = await build(target, fixture(), 1, [events])
          const tails = [1, Math.floor(n / 3), Math.floor(n / 2), n - 1].map((k) => events.slice(k))
          expect(await build(target, fixture(), 2, [events, ...tails])).toStrictEqual(once)
          // A consumer that checkpoints only every other batch: each window replays the previous one's second half.
          const step = 6
          const windows = Array.from({ length: Math.ceil(n / step) }, (_, i) => events.slice(i * step, i * step + 2 * step))
          expect(await build(target, fixture(), 3, windows)).toStrictEqual(once)
          // Replaying an old prefix after everything was applied.
          const prefixes = [
            events.slice(0, Math.floor(n / 2)),
            events.slice(0, 1),
            events.slice(Math.floor(n / 4), Math.floor(n / 2)),
          ]
          expect(await build(target, fixture(), 4, [events, ...prefixes])).toStrictEqual(once)
          // Only the first k events, then the rest overlapping them.
          const k = Math.floor((2 * n) / 3)
          expect(await build(target, fixture(), 5, [events.slice(0, k), events.slice(Math.floor(k / 2))])).toStrictEqual(once)
        })
      }
    })

    describe('crash between read-model writes and their checkpoint', () => {
      const fixture = freshFixtureEachTest()
      const batchSize = 8

      /**
       * Instance A runs the subscription of generation 1 and "crashes" — its process stalls
       * with no more renewals, so its lease is left behind until it expires — at `crashAt`
       * (after some of a batch's writes, before the checkpoint). Instance B, a fresh
       * subscription on the same lease store, takes over once A's lease has expired and
       * catches up to the head. Generation 1 must then equal a rebuild of the same events
       * into generation 2, also after A wakes up and finishes its stale batch.
       */
      async function crashAndTakeOver(
        target: ProjectionUnderTest<ReadModelDocument>,
        crash: 'after-batch-writes' | 'mid-batch',
      ): Promise<void> {
        const { store, leases, readModels } = fixture()
        const events = await record(
          store,
          generateHistory({ seed: SEED + 1, orders: historyOrders, days: 3, start: Date.parse('2024-02-28T00:00:00.000Z') }),
        )
        const head = events.at(-1)?.position ?? 0
        const batches = chunks(events, batchSize)

        // Dry run into a scratch generation: every write, as (position, batch) in order.
        const writes: { position: number; batch: number }[] = []
        let currentBatch = 0
        const counted = target.definition.generation(
          interceptWrites(readModels, (position) => {
            writes.push({ position, batch: currentBatch })
            return Promise.resolve()
          }),
          99,
          store,
        )
        for (const [i, batch] of batches.entries()) {
          currentBatch = i
          await counted.apply(batch, NO_LEASE)
        }
        await counted.drop()

        // Where A stops: the k-th write of the event at `position` (k > 1 only in summaries: mid-event).
        let crashPoint: { position: number; k: number; batch: number } | undefined
        if (crash === 'mid-batch') {
          const candidates = writes
            .map((w, i) => ({ ...w, i, k: writes.slice(0, i + 1).filter((o) => o.position === w.position).length }))
            .filter((w) => w.batch >= 1 && writes.slice(0, w.i).some((o) => o.batch === w.batch && o.position < w.position))
          crashPoint = candidates.find((w) => w.k > 1) ?? candidates[0]
          expect(crashPoint, 'a write after others in a later batch').toBeDefined()
        }
        // Or: after all writes of the first batch (but the first) that writes anything.
        const crashBatch = crashPoint?.batch ?? writes.find((w) => w.batch >= 1)?.batch
        if (crashBatch === undefined) throw new Error('the history has no writes after its first batch')

        const crashed = deferred()
        const resume = deferred()
        const staleBatchDone = deferred()
        let hasCrashed = false
        let writePosition = -1
        let writesAtPosition = 0
        const aModels = interceptWrites(readModels, async (position) => {
          if (position !== writePosition) [writePosition, writesAtPosition] = [position, 0]
          writesAtPosition++
          if (!hasCrashed && crashPoint && position === crashPoint.position && writesAtPosition === crashPoint.k) {
            hasCrashed = true
            crashed.resolve()
            await resume.promise
          }
        })
        const name = `projection:${target.definition.name}#1`
        const generationA = target.definition.generation(aModels, 1, store)
        await generationA.ensureIndexes()
        const errorsA: unknown[] = []
        const a = startSubscription({
          name,
          store,
          leases,
          holder: 'instance-a',
          batchSize,
          pollMs: 10,
          acquireEveryMs: 20,
          leaseTtlMs: crashedLeaseTtlMs,
          onError: (error) => errorsA.push(error),
          handle: async (batch, lease) => {
            try {
              await generationA.apply(batch, lease)
              const index = Math.floor(((batch[0]?.position ?? 1) - 1) / batchSize)
              if (crash === 'after-batch-writes' && !hasCrashed && index === crashBatch) {
                hasCrashed = true
                crashed.resolve()
                await resume.promise
                throw new Error('instance A crashed before its checkpoint')
              }
            } finally {
              if (hasCrashed) staleBatchDone.resolve()
            }
          },
        })
        const errorsB: unknown[] = []
        let b: ReturnType<typeof startSubscription> | undefined
        try {
          await within(crashed.promise, `instance A to reach its crash point (${crash})`)

          // The read model is ahead of the checkpoint A leaves behind, in a lease still alive.
          const left = await leases.latest(name)
          expect(left).toMatchObject({ holder: 'instance-a' })
          const checkpoint = left?.position ?? 0
          expect(checkpoint).toBe(crashBatch * batchSize)
          const written = await snapshot(target, readModels, 1)
          expect(Math.max(...written.map((doc) => doc.last_position))).toBeGreaterThan(checkpoint)

          const generationB = target.definition.generation(readModels, 1, store)
          b = startSubscription({
            name,
            store,
            leases,
            holder: 'instance-b',
            batchSize,
            pollMs: 10,
            acquireEveryMs: 20,
            onError: (error) => errorsB.push(error),
            handle: generationB.apply,
          })
          const successor = b
          await eventually('instance B to take over and reach the head', () => successor.active && successor.position >= head)
          expect(await leases.latest(name)).toMatchObject({ holder: 'instance-b', position: head, token: (left?.token ?? 0) + 1 })
          expect(errorsB).toEqual([])

          const rebuilt = await build(target, fixture(), 2, [events])
          expect(await snapshot(target, readModels, 1)).toStrictEqual(rebuilt)

          // A wakes up and finishes its stale batch: its writes are no-ops, its checkpoint is fenced off.
          resume.resolve()
          await within(staleBatchDone.promise, 'instance A to finish its stale batch')
          await eventually('instance A to become inactive', () => !a.active)
          await a.stop()
          expect(await snapshot(target, readModels, 1)).toStrictEqual(rebuilt)
          expect(await leases.latest(name)).toMatchObject({ holder: 'instance-b', position: head })
          expect(errorsB).toEqual([])
          // A reports its crash (if it threw); losing the lease at its stale checkpoint is not an error.
          expect(errorsA.map((error) => (error as Error).message)).toEqual(
            crash === 'after-batch-writes' ? ['instance A crashed before its checkpoint'] : [],
          )
        } finally {
          resume.resolve()
          await a.stop()
          await b?.stop()
        }
      }

      for (const target of ALL_PROJECTIONS) {
        const name = target.definition.name
        it(`${name}: after all of a batch's writes, before its checkpoint — the next holder's result equals a rebuild`, async () => {
          await crashAndTakeOver(target, 'after-batch-writes')
        })
        it(`${name}: in the middle of a batch${name === 'summaries' ? ' (between the rows of one event)' : ''} — equals a rebuild, even after the stale holder resumes`, async () => {
          await crashAndTakeOver(target, 'mid-batch')
        })
      }
    })

    describe(`summaries property: ${propertyOrders} random orders (seed ${SEED})`, () => {
      let fixture: ProjectionFixture
      let events: StoredEvent[]
      let rows: SummaryRow[]
      /** The zones reported in, with their (DST-free) offsets east of UTC in minutes. */
      const zones = [
        ['UTC', 0],
        ['Asia/Kolkata', 330],
        ['Asia/Kathmandu', 345],
      ] as const
      const offsetSuffix = (offsetMin: number) =>
        `+${String(Math.floor(offsetMin / 60)).padStart(2, '0')}:${String(offsetMin % 60).padStart(2, '0')}`
      const range = { from: '2024-02-01T00:00:00', to: '2024-04-01T00:00:00' }
      const rangeEnd = (offsetMin: number) => Date.parse('2024-04-01T00:00:00.000Z') - offsetMin * MINUTE
      const reports = () => createReportQueries({ summaries: () => summariesCollection(fixture.readModels, 1) })

      beforeAll(async () => {
        fixture = await make({ now })
        const commits = generateHistory({
          seed: SEED,
          orders: propertyOrders,
          days: 6,
          start: Date.parse('2024-02-27T00:00:00.000Z'),
        })
        events = await record(fixture.store, commits)
        const projection = summariesProjection.generation(fixture.readModels, 1, fixture.store)
        await projection.ensureIndexes()
        let after = 0
        for (;;) {
          const page = await fixture.store.readAll({ after, limit: 100 })
          if (page.events.length === 0) break
          await projection.apply(page.events, NO_LEASE)
          after = page.position
        }
        rows = await snapshot(SUMMARIES, fixture.readModels, 1)
      })
      afterAll(async () => {
        await fixture.cleanup()
      })

      it('the generated history covers what the property is about', () => {
        const created = new Map(events.filter((e) => e.type === 'order.created').map((e) => [e.stream, e]))
        const cancels = events.filter((e) => e.type === 'order.cancelled')
        const day = (e: StoredEvent) => e.metadata.timestamp.slice(0, 10)
        expect(created.size).toBe(propertyOrders)
        expect(new Set([...created.values()].map(day)).size).toBeGreaterThanOrEqual(5)
        expect(
          new Set([...created.values()].map((e) => (e.data as EventData<'order.created'>).sales_rep)).size,
        ).toBeGreaterThanOrEqual(3)
        expect(new Set(rows.map((r) => r.sku)).size).toBeGreaterThanOrEqual(5) // 4+ SKUs and "*"
        expect(cancels.length / propertyOrders).toBeGreaterThan(0.1)
        expect(cancels.length / propertyOrders).toBeLessThan(0.4)
        expect(cancels.filter((c) => day(c) !== day(created.get(c.stream) as StoredEvent)).length).toBeGreaterThan(0)
        expect(
          cancels.filter((c) => c.metadata.timestamp.slice(0, 13) !== created.get(c.stream)?.metadata.timestamp.slice(0, 13))
            .length,
        ).toBeGreaterThan(0)
      })

      it('every row equals a brute-force recomputation from the raw events', () => {
        expect(rows, `seed ${SEED}`).toStrictEqual(bruteForceRows(events))
      })

      for (const [tz, offsetMin] of zones) {
        for (const groupBy of ['none', 'sales_rep', 'sku'] as const) {
          it(`report in ${tz}, group_by ${groupBy}: hours equal a brute force over local hours; days and months are sums of hours`, async () => {
            const query = (granularity: Granularity) => reports().summaries({ ...range, granularity, group_by: groupBy, tz })
            const end = rangeEnd(offsetMin)
            const hours = await query('hour')
            expect(hours.tz).toBe(tz)
            for (const bucket of hours.buckets) {
              expect(Object.keys(bucket).filter((key) => key === 'sales_rep' || key === 'sku')).toEqual(
                groupBy === 'none' ? [] : [groupBy],
              )
              if (offsetMin > 0) expect(bucket.start.endsWith(offsetSuffix(offsetMin)), bucket.start).toBe(true)
            }
            const hourly = flatten(hours)
            expect(hourly, `seed ${SEED}`).toStrictEqual(bruteForceReport(events, groupBy, 'hour', offsetMin, end))

            const asItems = hourly.map((h) => ({
              at: h.start,
              group: h.group,
              counters: countersOf(h),
            }))
            for (const granularity of ['day', 'month'] as const) {
              const report = flatten(await query(granularity))
              expect(report, `${granularity} = sum of hours, seed ${SEED}`).toStrictEqual(
                rollUp(asItems, granularity, offsetMin, end),
              )
            }
          })
        }
      }
    })
  })
}

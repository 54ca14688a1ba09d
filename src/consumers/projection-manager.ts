import type { EventStore } from '../events/event-store.js'
import { AppError } from '../shared/errors.js'
import { finishesWithin } from '../shared/finishes-within.js'
import {
  type ProjectionStatus,
  expiredGenerations,
  firstGeneration,
  generationsToRun,
  mayGoLive,
  needsShapeRebuild,
  nextGeneration,
  statusOf,
} from './generation-plan.js'
import { type GenerationRecord, type GenerationStore, buildingGeneration, liveGeneration, shapeOf } from './generations.js'
import type { EventFeed } from './event-feed.js'
import type { HeldLease, LeaseStore } from './leases.js'
import { type BatchHandler, type Subscription, startSubscription } from './subscription.js'

/** One generation of a projection: its own collections, built from position 0. */
export interface ProjectionGeneration {
  ensureIndexes(): Promise<void>
  apply: BatchHandler
  /**
   * Drops these documents from what the writer keeps between batches: a task run under this
   * generation's lease (`exclusive`) rewrote them, so the next batch must read them afresh.
   */
  forget?(ids: readonly string[]): void
  drop(): Promise<void>
}

/** A projection as the manager runs it: a name, and its generations. */
export interface ManagedProjection<Name extends string = string> {
  name: Name
  /**
   * The version of its documents' shape (default 1): raised when a change to the projection
   * needs documents the old code did not write, so that a live generation of an older shape
   * is rebuilt in the new one on upgrade (see `needsShapeRebuild`).
   */
  shape?: number
  generation(generation: number): ProjectionGeneration
}

export interface ProjectionManagerOptions<Name extends string> {
  store: EventStore
  leases: LeaseStore
  generations: GenerationStore
  projections: readonly ManagedProjection<Name>[]
  /** This process in lease records (see `holderId`). */
  holder: string
  /** How often the registry is re-read (default 1 s). */
  refreshMs?: number
  /** How long a retired generation stays queryable before its collections are dropped (default 10 s). */
  retireGraceMs?: number
  leaseTtlMs?: number
  pollMs?: number
  /** See `SubscriptionOptions.lingerMs`. */
  lingerMs?: number
  /** See `SubscriptionOptions.checkpointMs`. */
  checkpointMs?: number
  /** This process's shared reader of the store; without one, each subscription polls the store itself. */
  feed?: EventFeed
  /** Without a feed: wakes subscriptions early when events were appended (default: this store's own appends). */
  wake?: (listener: () => void) => () => void
  /** Also run the live generations (default true; the replay CLI only builds). */
  runLive?: boolean
  onError?: (error: unknown, context: string) => void
  onSwitch?: (name: Name, from: number | undefined, to: number) => void
  /** A live generation of an older shape is being rebuilt in this code's shape. */
  onShapeRebuild?: (name: Name, from: number, to: number) => void
}

export type ProjectionManager<Name extends string = string> = ReturnType<typeof startProjectionManager<Name>>

interface Running {
  subscription: Subscription
  record: GenerationRecord
  projection: ProjectionGeneration
}

/** The consumer (lease and checkpoint) name of a projection's generation. */
export const projectionConsumerName = (name: string, generation: number) => `projection:${name}#${generation}`

/**
 * Runs, on every instance, one catch-up subscription per live and per building generation
 * of each projection (leases make each a singleton across instances), switches a finished
 * rebuild live, and drops retired generations after a grace period. The decisions are the
 * pure functions of `generation-plan.ts`; this is the loop that reads the records and acts.
 */
export function startProjectionManager<Name extends string>(options: ProjectionManagerOptions<Name>) {
  const refreshMs = options.refreshMs ?? 1000
  const graceMs = options.retireGraceMs ?? 10_000
  const running = new Map<string, Running>()
  const records = new Map<Name, GenerationRecord[]>()
  const projections = new Map(options.projections.map((p) => [p.name, p]))
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let refreshing: Promise<void> = Promise.resolve()

  const key = projectionConsumerName
  const progress = (name: string) => (generation: number) => running.get(key(name, generation))?.subscription

  async function refresh(): Promise<void> {
    for (const projection of options.projections) {
      try {
        await refreshOne(projection)
      } catch (error) {
        // Once stopped, a failure is the stop cutting off a re-read (the store closing under it).
        if (!stopped) options.onError?.(error, `projection ${projection.name}`)
      }
    }
  }

  async function refreshOne(projection: ManagedProjection<Name>): Promise<void> {
    const { name } = projection
    const shape = projection.shape ?? 1
    let list = await options.generations.list(name)
    if (!liveGeneration(list)) {
      await options.generations.insert(firstGeneration(name, Date.now(), shape))
      list = await options.generations.list(name)
    }
    if (needsShapeRebuild(list, shape) && (await options.generations.insert(nextGeneration(name, list, Date.now(), shape)))) {
      options.onShapeRebuild?.(name, shapeOf(liveGeneration(list) as GenerationRecord), shape)
      list = await options.generations.list(name)
    }
    records.set(name, list)

    const wanted = generationsToRun(list, options.runLive !== false, shape)
    for (const record of wanted) {
      if (!stopped && !running.has(key(name, record.generation))) await run(projection, record)
    }
    for (const [id, entry] of running) {
      if (entry.record.name !== name || wanted.some((r) => key(r.name, r.generation) === id)) continue
      running.delete(id)
      await entry.subscription.stop()
    }

    const building = buildingGeneration(list)
    const live = liveGeneration(list)
    if (building && live) {
      const at = progress(name)
      if (mayGoLive(at(building.generation), at(live.generation), await options.store.headPosition())) {
        await switchLive(name, building, live)
      }
    }
    for (const record of expiredGenerations(list, Date.now(), graceMs)) {
      await projection.generation(record.generation).drop()
      await options.generations.update(record._id, { state: 'dropped' })
    }
  }

  async function run(projection: ManagedProjection<Name>, record: GenerationRecord): Promise<void> {
    const id = key(record.name, record.generation)
    const generation = projection.generation(record.generation)
    await generation.ensureIndexes()
    const subscription = startSubscription({
      name: id,
      store: options.store,
      leases: options.leases,
      holder: options.holder,
      handle: generation.apply,
      ...(options.feed
        ? { feed: options.feed }
        : { wake: options.wake ?? ((listener: () => void) => options.store.onAppended(listener)) }),
      ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs }),
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
      ...(options.lingerMs === undefined ? {} : { lingerMs: options.lingerMs }),
      ...(options.checkpointMs === undefined ? {} : { checkpointMs: options.checkpointMs }),
      ...(record.state === 'building' ? { onIdle: goLiveOnceCaughtUp(record) } : {}),
      onError: (error) => options.onError?.(error, id),
    })
    running.set(id, { subscription, record, projection: generation })
  }

  /**
   * A rebuild that has caught up goes live at once instead of at the next refresh (up to
   * `refreshMs` later): a refresh is started, not awaited (it may stop subscriptions, this
   * one's caller among them), once per position reached while the generation is building;
   * once it is not (live, or dropped), never again — the check ends with it.
   */
  function goLiveOnceCaughtUp(record: GenerationRecord): () => Promise<void> {
    let promptedAt = -1
    let building = true
    return async () => {
      if (!building) return
      building = buildingGeneration(records.get(record.name as Name) ?? [])?.generation === record.generation
      const at = running.get(key(record.name, record.generation))?.subscription.position ?? -1
      if (!building || at === promptedAt) return
      promptedAt = at
      void refreshNow()
    }
  }

  /** The atomic switch: the rebuilt generation's record turns live, the old one retired. */
  async function switchLive(name: Name, building: GenerationRecord, live: GenerationRecord): Promise<void> {
    const now = Date.now()
    await options.generations.update(building._id, { state: 'live', switched_at: now })
    await options.generations.update(live._id, { state: 'retired', retired_at: now })
    options.onSwitch?.(name, live.generation, building.generation)
    records.set(name, await options.generations.list(name))
  }

  /** Refreshes run one at a time. */
  function refreshNow(): Promise<void> {
    refreshing = refreshing.catch(() => undefined).then(refresh)
    return refreshing
  }

  function schedule(): void {
    if (stopped) return
    timer = setTimeout(() => {
      void refreshNow().finally(schedule)
    }, refreshMs)
  }

  const started = refreshNow()
  void started.then(schedule)

  function liveRecord(name: Name): GenerationRecord {
    const live = liveGeneration(records.get(name) ?? [])
    if (!live) throw new AppError('unavailable', 'PROJECTION.NOT_READY', `The ${name} read model is not ready yet`)
    return live
  }

  const liveSubscription = (name: Name) => running.get(key(name, liveRecord(name).generation))?.subscription

  return {
    /** Resolves once every projection has a live generation. */
    ready: () => started,
    /** The generation queries of `name` read now. */
    liveGeneration: (name: Name) => liveRecord(name).generation,
    /** Whether the live generation of `name` is in the shape this code writes (false while an upgrade rebuilds it). */
    liveIsCurrent: (name: Name) => shapeOf(liveRecord(name)) === (projections.get(name)?.shape ?? 1),
    /** Waits (bounded) until the live generation of `name` has processed `position`. */
    async waitFor(name: Name, position: number, timeoutMs: number): Promise<{ reached: boolean; position: number }> {
      const subscription = liveSubscription(name)
      if (!subscription) return { reached: false, position: 0 }
      const reached = await subscription.waitFor(position, timeoutMs)
      return { reached, position: subscription.position }
    },
    /**
     * Runs `task` between two batches of the live generation of `name`, under its lease, if this
     * instance holds that lease; null otherwise. For a repair written behind the writer's back
     * (the writer is then told to `forget` what the task rewrote).
     */
    exclusive<T>(
      name: Name,
      task: (live: { generation: number; projection: ProjectionGeneration }, lease: HeldLease) => Promise<T>,
    ): Promise<T | null> {
      const { generation } = liveRecord(name)
      const entry = running.get(key(name, generation))
      if (!entry) return Promise.resolve(null)
      return entry.subscription.exclusive((lease) => task({ generation, projection: entry.projection }, lease))
    },
    /** The checkpoint of the live generation of `name`, as this instance knows it. */
    position: (name: Name): number => liveSubscription(name)?.position ?? 0,
    async status(): Promise<ProjectionStatus[]> {
      const head = await options.store.headPosition()
      return options.projections.map(({ name }) => statusOf(name, records.get(name) ?? [], progress(name), head))
    },
    /** Starts building a new generation from position 0; the live one keeps serving until it has caught up. */
    async rebuild(name: Name): Promise<{ generation: number; already_running: boolean }> {
      if (!projections.has(name)) throw new AppError('not_found', 'PROJECTION.NOT_FOUND', `No projection ${name}`)
      const list = await options.generations.list(name)
      const existing = buildingGeneration(list)
      if (existing) return { generation: existing.generation, already_running: true }
      const record = nextGeneration(name, list, Date.now(), projections.get(name)?.shape ?? 1)
      if (!(await options.generations.insert(record))) return { generation: record.generation, already_running: true }
      await refreshNow()
      return { generation: record.generation, already_running: false }
    },
    /** Re-reads the registry now (tests, the replay CLI). */
    refresh: refreshNow,
    /** The generation records of `name` as last read. */
    records: (name: Name): readonly GenerationRecord[] => records.get(name) ?? [],
    /**
     * Stops every projection's subscription and the registry's re-reads; resolves false if
     * they took longer than `graceMs` (default: no bound) and were left to finish unreported.
     */
    async stop(graceMs = Infinity): Promise<boolean> {
      stopped = true
      clearTimeout(timer)
      const subscriptions = [...running.values()].map((entry) => entry.subscription)
      running.clear()
      const clean = Promise.all([finishesWithin(refreshing, graceMs), ...subscriptions.map((s) => s.stop(graceMs))])
      return (await clean).every(Boolean)
    },
  }
}

import type { EventStore } from '../events/event-store.js'
import { AppError } from '../shared/errors.js'
import { type GenerationRecord, type GenerationStore, buildingGeneration, liveGeneration } from './generations.js'
import type { LeaseStore } from './leases.js'
import type { ProjectionDefinition, ProjectionGeneration, ProjectionName } from './projection.js'
import type { ReadModelStore } from './read-model.js'
import { type Subscription, startSubscription } from './subscription.js'

export interface ProjectionStatus {
  name: ProjectionName
  generation: number
  /** `live`, or `rebuilding` while a new generation is being built. */
  state: 'live' | 'rebuilding' | 'starting'
  position: number
  /** Events between the event store's head and this generation's checkpoint. */
  lag: number
  /** Whether this instance is the one applying events to it right now. */
  active_here: boolean
  rebuild?: { generation: number; position: number; lag: number }
}

export interface ProjectionManagerOptions {
  store: EventStore
  readModels: ReadModelStore
  leases: LeaseStore
  generations: GenerationStore
  definitions: readonly ProjectionDefinition[]
  /** This process in lease records (e.g. INSTANCE_ID plus a random suffix). */
  holder: string
  /** How often the registry is re-read (default 1 s). */
  refreshMs?: number
  /** How long a retired generation stays queryable before its collections are dropped (default 10 s). */
  retireGraceMs?: number
  leaseTtlMs?: number
  pollMs?: number
  /** Wakes subscriptions early when events were appended (default: this store's own appends). */
  wake?: (listener: () => void) => () => void
  /** Also run the live generations (default true; the replay CLI only builds). */
  runLive?: boolean
  onError?: (error: unknown, context: string) => void
  onSwitch?: (name: ProjectionName, from: number | undefined, to: number) => void
}

export type ProjectionManager = ReturnType<typeof startProjectionManager>

/**
 * Runs, on every instance, one catch-up subscription per live and per building generation
 * of each projection (leases make each a singleton across instances), switches a finished
 * rebuild live, and drops retired generations after a grace period.
 */
export function startProjectionManager(options: ProjectionManagerOptions) {
  const refreshMs = options.refreshMs ?? 1000
  const graceMs = options.retireGraceMs ?? 10_000
  const running = new Map<string, { subscription: Subscription; generation: ProjectionGeneration; record: GenerationRecord }>()
  const records = new Map<ProjectionName, GenerationRecord[]>()
  const definitions = new Map(options.definitions.map((d) => [d.name, d]))
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let refreshing: Promise<void> = Promise.resolve()

  const key = (name: string, generation: number) => `projection:${name}#${generation}`

  async function refresh(): Promise<void> {
    for (const definition of options.definitions) {
      try {
        await refreshOne(definition)
      } catch (error) {
        options.onError?.(error, `projection ${definition.name}`)
      }
    }
  }

  async function refreshOne(definition: ProjectionDefinition): Promise<void> {
    let list = await options.generations.list(definition.name)
    if (!liveGeneration(list)) {
      await options.generations.insert({
        _id: `${definition.name}#1`,
        name: definition.name,
        generation: 1,
        state: 'live',
        requested_at: Date.now(),
      })
      list = await options.generations.list(definition.name)
    }
    records.set(definition.name, list)
    const live = liveGeneration(list)
    const building = buildingGeneration(list)
    const wanted = [options.runLive === false ? undefined : live, building].filter((r): r is GenerationRecord => r !== undefined)

    for (const record of wanted) {
      const id = key(record.name, record.generation)
      if (running.has(id) || stopped) continue
      const generation = definition.generation(options.readModels, record.generation, options.store)
      await generation.ensureIndexes()
      const subscription = startSubscription({
        name: id,
        store: options.store,
        leases: options.leases,
        holder: options.holder,
        handle: generation.apply,
        wake: options.wake ?? ((listener) => options.store.onAppended(listener)),
        ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs }),
        ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
        onError: (error) => options.onError?.(error, id),
      })
      running.set(id, { subscription, generation, record })
    }
    for (const [id, entry] of running) {
      if (entry.record.name !== definition.name || wanted.some((r) => key(r.name, r.generation) === id)) continue
      running.delete(id)
      await entry.subscription.stop()
    }

    if (building && live) await switchIfCaughtUp(building, live)
    for (const record of list) {
      if (record.state === 'retired' && (record.retired_at ?? 0) + graceMs < Date.now()) {
        await definition.generation(options.readModels, record.generation, options.store).drop()
        await options.generations.update(record._id, { state: 'dropped' })
      }
    }
  }

  /**
   * Only the instance building the new generation switches it, once it is as fresh as the
   * live one (or at the head): from then on, reading it is never staler than before.
   */
  async function switchIfCaughtUp(building: GenerationRecord, live: GenerationRecord): Promise<void> {
    const entry = running.get(key(building.name, building.generation))
    if (!entry?.subscription.active) return
    const head = await options.store.headPosition()
    const livePosition = running.get(key(live.name, live.generation))?.subscription.position || head
    if (entry.subscription.position < Math.min(livePosition, head)) return
    const now = Date.now()
    await options.generations.update(building._id, { state: 'live', switched_at: now })
    await options.generations.update(live._id, { state: 'retired', retired_at: now })
    options.onSwitch?.(building.name, live.generation, building.generation)
    records.set(building.name, await options.generations.list(building.name))
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

  function currentRecord(name: ProjectionName): GenerationRecord {
    const live = liveGeneration(records.get(name) ?? [])
    if (!live) throw new AppError('unavailable', 'PROJECTION.NOT_READY', `The ${name} read model is not ready yet`)
    return live
  }

  return {
    /** Resolves once every projection has a live generation. */
    ready: () => started,
    /** The generation queries of `name` read now. */
    liveGeneration: (name: ProjectionName) => currentRecord(name).generation,
    /** Waits (bounded) until the live generation of `name` has processed `position`. */
    async waitFor(name: ProjectionName, position: number, timeoutMs: number): Promise<{ reached: boolean; position: number }> {
      const entry = running.get(key(name, currentRecord(name).generation))
      if (!entry) return { reached: false, position: 0 }
      const reached = await entry.subscription.waitFor(position, timeoutMs)
      return { reached, position: entry.subscription.position }
    },
    /** The checkpoint of the live generation of `name`, as this instance knows it. */
    position(name: ProjectionName): number {
      return running.get(key(name, currentRecord(name).generation))?.subscription.position ?? 0
    },
    async status(): Promise<ProjectionStatus[]> {
      const head = await options.store.headPosition()
      return options.definitions.map(({ name }) => {
        const list = records.get(name) ?? []
        const live = liveGeneration(list)
        const building = buildingGeneration(list)
        const liveRun = live && running.get(key(name, live.generation))
        const buildRun = building && running.get(key(name, building.generation))
        const position = liveRun?.subscription.position ?? 0
        return {
          name,
          generation: live?.generation ?? 0,
          state: !live ? 'starting' : building ? 'rebuilding' : 'live',
          position,
          lag: Math.max(0, head - position),
          active_here: liveRun?.subscription.active ?? false,
          ...(building
            ? {
                rebuild: {
                  generation: building.generation,
                  position: buildRun?.subscription.position ?? 0,
                  lag: Math.max(0, head - (buildRun?.subscription.position ?? 0)),
                },
              }
            : {}),
        }
      })
    },
    /** Starts building a new generation from position 0; the live one keeps serving until it has caught up. */
    async rebuild(name: ProjectionName): Promise<{ generation: number; already_running: boolean }> {
      if (!definitions.has(name)) throw new AppError('not_found', 'PROJECTION.NOT_FOUND', `No projection ${name}`)
      const list = await options.generations.list(name)
      const existing = buildingGeneration(list)
      if (existing) return { generation: existing.generation, already_running: true }
      const generation = Math.max(0, ...list.map((r) => r.generation)) + 1
      const inserted = await options.generations.insert({
        _id: `${name}#${generation}`,
        name,
        generation,
        state: 'building',
        requested_at: Date.now(),
      })
      if (!inserted) return { generation, already_running: true }
      await refreshNow()
      return { generation, already_running: false }
    },
    /** Re-reads the registry now (tests, the replay CLI). */
    refresh: refreshNow,
    /** The generation records of `name` as last read. */
    records: (name: ProjectionName): readonly GenerationRecord[] => records.get(name) ?? [],
    async stop(): Promise<void> {
      stopped = true
      clearTimeout(timer)
      await refreshing.catch(() => undefined)
      await Promise.all([...running.values()].map((entry) => entry.subscription.stop()))
      running.clear()
    },
  }
}

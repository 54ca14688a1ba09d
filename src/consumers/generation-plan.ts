import { type GenerationRecord, buildingGeneration, liveGeneration, shapeOf } from './generations.js'

/**
 * The projection manager's decisions, as pure functions of the generation records and the
 * positions it knows; `projection-manager.ts` is the loop that acts on them.
 */

export interface ProjectionStatus {
  name: string
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

/** What this instance knows of one generation's subscription. */
export interface GenerationProgress {
  position: number
  active: boolean
}

/** The record every projection starts with: generation 1, live, in this code's shape. */
export function firstGeneration(name: string, now: number, shape: number): GenerationRecord {
  return { _id: `${name}#1`, name, generation: 1, state: 'live', requested_at: now, shape }
}

/**
 * The generations this instance should run a subscription for: the live one (unless only
 * building) and a rebuild — only those in `shape`, the shape this code writes, so during an
 * upgrade new code never writes into an older generation's documents, nor old code into
 * a newer one's.
 */
export function generationsToRun(records: readonly GenerationRecord[], runLive: boolean, shape: number): GenerationRecord[] {
  return [runLive ? liveGeneration(records) : undefined, buildingGeneration(records)].filter(
    (record): record is GenerationRecord => record !== undefined && shapeOf(record) === shape,
  )
}

/**
 * Whether the read model must be rebuilt because this code writes a newer shape than the live
 * generation's (and no rebuild is under way): an upgrade that changes a read model rebuilds it
 * by itself while the old generation keeps serving.
 */
export function needsShapeRebuild(records: readonly GenerationRecord[], shape: number): boolean {
  const live = liveGeneration(records)
  return live !== undefined && shapeOf(live) < shape && buildingGeneration(records) === undefined
}

/**
 * A rebuilt generation goes live once it is as fresh as the live one (or at the head): from
 * then on, reading it is never staler than before. Only the instance building it decides.
 */
export function mayGoLive(building: GenerationProgress | undefined, live: GenerationProgress | undefined, head: number): boolean {
  if (!building?.active) return false
  return building.position >= Math.min(live?.position || head, head)
}

/** Retired generations whose grace period is over: their collections can be dropped. */
export function expiredGenerations(records: readonly GenerationRecord[], now: number, graceMs: number): GenerationRecord[] {
  return records.filter((record) => record.state === 'retired' && (record.retired_at ?? 0) + graceMs < now)
}

/** The record a rebuild inserts: the next generation number, building, in this code's shape. */
export function nextGeneration(name: string, records: readonly GenerationRecord[], now: number, shape: number): GenerationRecord {
  const generation = Math.max(0, ...records.map((r) => r.generation)) + 1
  return { _id: `${name}#${generation}`, name, generation, state: 'building', requested_at: now, shape }
}

/** A projection's status as this instance sees it. */
export function statusOf(
  name: string,
  records: readonly GenerationRecord[],
  progress: (generation: number) => GenerationProgress | undefined,
  head: number,
): ProjectionStatus {
  const live = liveGeneration(records)
  const building = buildingGeneration(records)
  const liveRun = live && progress(live.generation)
  const position = liveRun?.position ?? 0
  const rebuildPosition = (building && progress(building.generation)?.position) ?? 0
  return {
    name,
    generation: live?.generation ?? 0,
    state: !live ? 'starting' : building ? 'rebuilding' : 'live',
    position,
    lag: Math.max(0, head - position),
    active_here: liveRun?.active ?? false,
    ...(building
      ? { rebuild: { generation: building.generation, position: rebuildPosition, lag: Math.max(0, head - rebuildPosition) } }
      : {}),
  }
}

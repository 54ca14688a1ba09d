/**
 * Which generation of each projection queries read. A generation is inserted as
 * `building` (unique `_id` = `<name>#<generation>`, so two rebuild requests cannot both
 * start one), turned `live` by the instance that built it — one single-document update,
 * the atomic switch: queries read the highest live generation — and the previous one
 * becomes `retired`, then `dropped` once its collections are gone.
 */
export interface GenerationRecord {
  _id: string
  name: string
  generation: number
  state: 'building' | 'live' | 'retired' | 'dropped'
  requested_at: number
  /** The document shape its collections were written in (see `ManagedProjection.shape`); absent = 1. */
  shape?: number
  switched_at?: number
  retired_at?: number
}

export interface GenerationStore {
  list(name: string): Promise<GenerationRecord[]>
  /** False if that generation already exists. */
  insert(record: GenerationRecord): Promise<boolean>
  update(id: string, fields: Partial<Pick<GenerationRecord, 'state' | 'switched_at' | 'retired_at'>>): Promise<void>
}

/** The generation queries read: the highest live one. */
export function liveGeneration(records: readonly GenerationRecord[]): GenerationRecord | undefined {
  return records.filter((r) => r.state === 'live').sort((a, b) => b.generation - a.generation)[0]
}

/** The shape a generation's collections were written in. */
export const shapeOf = (record: GenerationRecord): number => record.shape ?? 1

/** A generation being built to replace the live one, if any. */
export function buildingGeneration(records: readonly GenerationRecord[]): GenerationRecord | undefined {
  const live = liveGeneration(records)?.generation ?? 0
  return records.filter((r) => r.state === 'building' && r.generation > live).sort((a, b) => b.generation - a.generation)[0]
}

import { type Collection, type Db, MongoServerError } from 'mongodb'
import type { ProjectionName } from './projection.js'

/**
 * Which generation of each projection queries read. A generation is inserted as
 * `building` (unique `_id` = `<name>#<generation>`, so two rebuild requests cannot both
 * start one), turned `live` by the instance that built it — one single-document update,
 * the atomic switch: queries read the highest live generation — and the previous one
 * becomes `retired`, then `dropped` once its collections are gone.
 */
export interface GenerationRecord {
  _id: string
  name: ProjectionName
  generation: number
  state: 'building' | 'live' | 'retired' | 'dropped'
  requested_at: number
  switched_at?: number
  retired_at?: number
}

export interface GenerationStore {
  list(name: ProjectionName): Promise<GenerationRecord[]>
  /** False if that generation already exists. */
  insert(record: GenerationRecord): Promise<boolean>
  update(id: string, fields: Partial<Pick<GenerationRecord, 'state' | 'switched_at' | 'retired_at'>>): Promise<void>
}

export class MemoryGenerationStore implements GenerationStore {
  private readonly records = new Map<string, GenerationRecord>()

  list(name: ProjectionName): Promise<GenerationRecord[]> {
    return Promise.resolve([...this.records.values()].filter((r) => r.name === name).map((r) => ({ ...r })))
  }

  insert(record: GenerationRecord): Promise<boolean> {
    if (this.records.has(record._id)) return Promise.resolve(false)
    this.records.set(record._id, { ...record })
    return Promise.resolve(true)
  }

  update(id: string, fields: Partial<GenerationRecord>): Promise<void> {
    const record = this.records.get(id)
    if (record) this.records.set(id, { ...record, ...fields })
    return Promise.resolve()
  }
}

export class MongoGenerationStore implements GenerationStore {
  private readonly records: Collection<GenerationRecord>

  constructor(db: Db) {
    this.records = db.collection<GenerationRecord>('projections')
  }

  list(name: ProjectionName): Promise<GenerationRecord[]> {
    return this.records.find({ name }).toArray()
  }

  async insert(record: GenerationRecord): Promise<boolean> {
    try {
      await this.records.insertOne(record)
      return true
    } catch (error) {
      if (error instanceof MongoServerError && error.code === 11000) return false
      throw error
    }
  }

  async update(id: string, fields: Partial<GenerationRecord>): Promise<void> {
    await this.records.updateOne({ _id: id }, { $set: fields })
  }
}

/** The generation queries read: the highest live one. */
export function liveGeneration(records: readonly GenerationRecord[]): GenerationRecord | undefined {
  return records.filter((r) => r.state === 'live').sort((a, b) => b.generation - a.generation)[0]
}

/** A generation being built to replace the live one, if any. */
export function buildingGeneration(records: readonly GenerationRecord[]): GenerationRecord | undefined {
  const live = liveGeneration(records)?.generation ?? 0
  return records.filter((r) => r.state === 'building' && r.generation > live).sort((a, b) => b.generation - a.generation)[0]
}

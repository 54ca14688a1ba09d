import type { GenerationRecord, GenerationStore } from './generations.js'

/** Generation records in memory (embedded mode and tests). */
export class MemoryGenerationStore implements GenerationStore {
  private readonly records = new Map<string, GenerationRecord>()

  list(name: string): Promise<GenerationRecord[]> {
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

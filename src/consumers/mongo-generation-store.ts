import type { Collection, Db } from 'mongodb'
import { insertIfAbsent } from '../infra/mongo-collections.js'
import type { GenerationRecord, GenerationStore } from './generations.js'

/** Generation records in the `projections` collection (`_id` = `<name>#<generation>`). */
export class MongoGenerationStore implements GenerationStore {
  private readonly records: Collection<GenerationRecord>

  constructor(db: Db) {
    this.records = db.collection<GenerationRecord>('projections')
  }

  list(name: string): Promise<GenerationRecord[]> {
    return this.records.find({ name }).toArray()
  }

  insert(record: GenerationRecord): Promise<boolean> {
    return insertIfAbsent(this.records, record)
  }

  async update(id: string, fields: Partial<GenerationRecord>): Promise<void> {
    await this.records.updateOne({ _id: id }, { $set: fields })
  }
}

import type { Collection, Db } from 'mongodb'
import { ensureIndexes, insertIfAbsent } from '../infra/mongo-collections.js'
import type { LeaseRecord, LeaseStore } from './leases.js'

/** Leases in the `leases` collection (`_id` = `<name>#<token>`). */
export class MongoLeaseStore implements LeaseStore {
  private readonly leases: Collection<LeaseRecord>

  constructor(db: Db) {
    this.leases = db.collection<LeaseRecord>('leases')
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.leases, [{ key: { name: 1, token: -1 }, name: 'name_token' }])
  }

  latest(name: string): Promise<LeaseRecord | null> {
    return this.leases.findOne({ name }, { sort: { token: -1 } })
  }

  insert(record: LeaseRecord): Promise<boolean> {
    return insertIfAbsent(this.leases, record)
  }

  async update(id: string, fields: Partial<Pick<LeaseRecord, 'expires_at' | 'position'>>): Promise<void> {
    await this.leases.updateOne({ _id: id }, { $set: fields })
  }

  async prune(name: string, belowToken: number): Promise<void> {
    await this.leases.deleteMany({ name, token: { $lt: belowToken } })
  }
}

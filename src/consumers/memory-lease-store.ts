import type { LeaseRecord, LeaseStore } from './leases.js'

/** Leases in memory: several consumers in one process still compete as they would across instances. */
export class MemoryLeaseStore implements LeaseStore {
  private readonly records = new Map<string, LeaseRecord>()

  latest(name: string): Promise<LeaseRecord | null> {
    let best: LeaseRecord | null = null
    for (const record of this.records.values()) if (record.name === name && (!best || record.token > best.token)) best = record
    return Promise.resolve(best && { ...best })
  }

  insert(record: LeaseRecord): Promise<boolean> {
    if (this.records.has(record._id)) return Promise.resolve(false)
    this.records.set(record._id, { ...record })
    return Promise.resolve(true)
  }

  update(id: string, fields: Partial<Pick<LeaseRecord, 'expires_at' | 'position'>>): Promise<void> {
    const record = this.records.get(id)
    if (record) this.records.set(id, { ...record, ...fields })
    return Promise.resolve()
  }

  prune(name: string, belowToken: number): Promise<void> {
    for (const [id, record] of this.records) if (record.name === name && record.token < belowToken) this.records.delete(id)
    return Promise.resolve()
  }
}

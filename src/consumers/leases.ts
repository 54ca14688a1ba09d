import { randomBytes } from 'node:crypto'

/**
 * Leases make a consumer a singleton across instances, with a fencing token — built from
 * inserts only, because FerretDB v1 updates are not atomic under concurrency.
 *
 * Each acquisition *inserts* a record `<name>#<token>` with the next token: the unique
 * `_id` lets exactly one contender have each token. The record with the highest token is
 * the lease; only its holder writes to it (expiry renewals and the consumer's checkpoint),
 * so no two writers ever update one document. A contender takes over only once that
 * record has expired, copying its checkpoint into the new record. A paused former holder
 * can still write to its own, older record, but nobody reads that one any more: it
 * cannot move the checkpoint (fencing).
 */
export interface LeaseRecord {
  _id: string
  name: string
  token: number
  holder: string
  /** Epoch ms after which others may take over. */
  expires_at: number
  /** The consumer's checkpoint: global position processed up to. */
  position: number
}

export interface LeaseStore {
  /** The record with the highest token for `name`, or null. */
  latest(name: string): Promise<LeaseRecord | null>
  /** Inserts a new record; false if its `_id` (that token) is already taken. */
  insert(record: LeaseRecord): Promise<boolean>
  /** Updates fields of one record (only ever called by its holder). */
  update(id: string, fields: Partial<Pick<LeaseRecord, 'expires_at' | 'position'>>): Promise<void>
  /** Deletes the records of `name` with a token below `token` (housekeeping). */
  prune(name: string, belowToken: number): Promise<void>
}

/** A lease holder id: the instance, what holds it, and a random part so that two processes with one INSTANCE_ID differ. */
export function holderId(instanceId: string, role: string): string {
  return `${instanceId}:${role}:${randomBytes(4).toString('hex')}`
}

export class LeaseLostError extends Error {
  constructor(name: string) {
    super(`lease ${name} was lost`)
    this.name = 'LeaseLostError'
  }
}

export interface HeldLease {
  readonly name: string
  readonly token: number
  /** The checkpoint this holder started from or last wrote. */
  readonly position: number
  /** True while the lease has not expired on this clock (with a safety margin). */
  valid(): boolean
  /** Extends the expiry; throws `LeaseLostError` if someone else took the lease meanwhile. */
  renew(): Promise<void>
  /** Stores the checkpoint; throws `LeaseLostError` if the lease may have expired. */
  checkpoint(position: number): Promise<void>
  /** Gives the lease up at once, so another instance can take over without waiting. */
  release(): Promise<void>
}

/**
 * Projections call this before every read-model write: a holder whose lease is about to
 * lapse stops before the next holder can start, so two holders never write the same
 * document at once (FerretDB's conditional updates are not atomic under such a race).
 */
export function assertHeld(lease: HeldLease): void {
  if (!lease.valid()) throw new LeaseLostError(lease.name)
}

export interface LeaseOptions {
  holder: string
  ttlMs: number
  now?: () => number
}

/** Tries to take the lease `name`; null if another holder's lease is still alive. */
export async function acquireLease(store: LeaseStore, name: string, options: LeaseOptions): Promise<HeldLease | null> {
  const now = options.now ?? Date.now
  const current = await store.latest(name)
  if (current && current.holder !== options.holder && current.expires_at > now()) return null
  const token = (current?.token ?? 0) + 1
  const record: LeaseRecord = {
    _id: `${name}#${token}`,
    name,
    token,
    holder: options.holder,
    expires_at: now() + options.ttlMs,
    position: current?.position ?? 0,
  }
  if (!(await store.insert(record))) return null
  // A contender delayed long enough could insert a token that was pruned away after an
  // earlier holder had it: only the record with the highest token is the lease.
  if ((await store.latest(name))?.token !== token) return null
  if (token > 2) await store.prune(name, token - 1).catch(() => undefined)

  let { position, expires_at: expiresAt } = record
  // Stop writing a little before expiry: clocks and pauses are not exact.
  const margin = Math.min(1000, options.ttlMs / 5)
  return {
    name,
    token,
    get position() {
      return position
    },
    valid: () => now() < expiresAt - margin,
    async renew() {
      // A renewal after expiry could overlap a takeover that already happened: re-acquire instead.
      if (!(now() < expiresAt)) throw new LeaseLostError(name)
      const latest = await store.latest(name)
      if (latest?.token !== token) throw new LeaseLostError(name)
      const next = now() + options.ttlMs
      await store.update(record._id, { expires_at: next })
      expiresAt = next
    },
    async checkpoint(next: number) {
      if (!(now() < expiresAt - margin)) throw new LeaseLostError(name)
      await store.update(record._id, { position: next })
      position = next
      // Written to our own record either way; if a newer record exists, ours is ignored.
      if ((await store.latest(name))?.token !== token) throw new LeaseLostError(name)
    },
    async release() {
      expiresAt = 0
      await store.update(record._id, { expires_at: 0 })
    },
  }
}

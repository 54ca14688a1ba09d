import { createHash } from 'node:crypto'
import type { AppendResult } from '../events/event-store.js'
import { AppError } from '../shared/errors.js'

/** An `Idempotency-Key` request: the command id it maps to, and the hash of what it asked. */
export interface IdempotentRequest {
  commandId: string
  fingerprint: string
}

export class IdempotencyKeyReusedError extends AppError {
  constructor() {
    super(
      'unprocessable',
      'REQUEST.IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was already used with a different request body',
    )
  }
}

/**
 * Keys are per user and per operation: the same key from two users, or on two routes,
 * names two different commands. The command id is what the event store deduplicates on,
 * so a replay survives restarts and races between instances.
 */
export function idempotentRequest(operation: string, actor: string, key: string, body: unknown): IdempotentRequest {
  return {
    commandId: `idem:${sha256(`${operation}\u0000${actor}\u0000${key}`)}`,
    fingerprint: `sha256:${sha256(canonicalJson(body))}`,
  }
}

/** A keyed request met its stored result: fine if it is a retry of the same request, 422 if the body differs. */
export function assertSameRequest(original: Pick<AppendResult, 'fingerprint'>, request: IdempotentRequest): void {
  if (original.fingerprint !== request.fingerprint) throw new IdempotencyKeyReusedError()
}

/** Runs `work` for one key at a time within this process (identical retries wait for the first). */
export function createKeyedLock() {
  const tails = new Map<string, Promise<unknown>>()
  return async function withLock<T>(key: string | undefined, work: () => Promise<T>): Promise<T> {
    if (key === undefined) return work()
    const previous = tails.get(key) ?? Promise.resolve()
    const current = previous.then(work, work)
    const tail = current.catch(() => undefined)
    tails.set(key, tail)
    try {
      return await current
    } finally {
      if (tails.get(key) === tail) tails.delete(key)
    }
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** JSON with object keys sorted, so equal bodies hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

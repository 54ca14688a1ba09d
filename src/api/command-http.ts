import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CommandContext } from '../commands/command-handler.js'
import { type IdempotentRequest, idempotentRequest } from '../commands/idempotency.js'
import { isCurrency } from '../shared/currency.js'
import { ValidationError } from '../shared/errors.js'

/** Metadata for the events a request causes: who, and the request id to correlate them. */
export function commandContext(request: FastifyRequest): CommandContext {
  if (!request.principal) throw new Error('command route without an authenticated principal')
  return { actor: request.principal.sub, correlationId: request.id }
}

/** `If-Match: "3"` → 3; absent → undefined; `*` → undefined (any version); anything else → 400. */
export function ifMatchOf(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match']
  if (header === undefined || header.trim() === '*') return undefined
  const match = /^\s*"?(\d{1,15})"?\s*$/.exec(header)
  if (!match) {
    throw new ValidationError('REQUEST.INVALID_IF_MATCH', 'If-Match must be an ETag this API issued, like "3"', [
      { path: 'headers/if-match', message: 'must look like "3"' },
    ])
  }
  return Number(match[1])
}

/**
 * `Idempotency-Key` (1-255 visible ASCII characters), scoped to the caller and the URL: the
 * route and its parameters (`POST /api/orders`, `POST /api/orders/:id/confirm ORD-00042`), so
 * the same key on another order's confirm is another command.
 */
export function idempotencyOf(request: FastifyRequest): IdempotentRequest | undefined {
  const key = request.headers['idempotency-key']
  if (key === undefined) return undefined
  if (typeof key !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new ValidationError('REQUEST.INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1-255 visible ASCII characters', [
      { path: 'headers/idempotency-key', message: 'must be 1-255 visible ASCII characters' },
    ])
  }
  const params = Object.values((request.params ?? {}) as Record<string, string>)
  const operation = [request.method, request.routeOptions.url ?? request.url, ...params].join(' ')
  return idempotentRequest(operation, commandContext(request).actor, key, request.body)
}

/** ETag (the stream version) and, for a replayed idempotent request, a header saying so. */
export function versionHeaders(reply: FastifyReply, version: number, replayed = false): FastifyReply {
  void reply.header('etag', `"${version}"`)
  if (replayed) void reply.header('idempotent-replayed', 'true')
  return reply
}

/** A body's `currency` must be an ISO 4217 code this runtime knows; 400 otherwise. */
export function assertCurrency(currency: string, path = 'body/currency'): void {
  if (isCurrency(currency)) return
  throw new ValidationError('REQUEST.VALIDATION', 'Unknown currency', [{ path, message: 'is not an ISO 4217 currency code' }])
}

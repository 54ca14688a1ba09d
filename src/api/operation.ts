import type { FastifySchema } from 'fastify'
import type { Action, SubjectType } from '../auth/abilities.js'
import type { AuthRequirement } from './plugins/access.js'

/** The auth requirement "the caller's role may `action` a `subject`" (CASL). */
export const can = (action: Action, subject: SubjectType): AuthRequirement => ({ can: [action, subject] })

/** Request headers a handler reads itself (documented as parameters; checked by the handler, 400 when malformed). */
export type RequestHeader = 'Idempotency-Key' | 'If-Match'

/** Response headers a route sets on its success answer (besides those every answer carries). */
export type ResponseHeader = 'ETag' | 'Location' | 'Idempotent-Replayed' | 'X-Read-Model-Position'

/**
 * What the OpenAPI document says of a route beyond its schemas: what the handler reads and
 * sets outside the body, and when its answer may also be a CSV download. The responses its
 * hooks can give (401/403, 429, 400/413/415, 503) are derived from `auth` and the schemas.
 */
export interface OperationDoc {
  /** A longer explanation than the summary (Markdown). */
  description?: string
  reads?: readonly RequestHeader[]
  sets?: readonly ResponseHeader[]
  /** The success answer is also `text/csv` (`?format=csv` or `Accept: text/csv`): what its rows are, and an example. */
  csv?: string
  csvExample?: string
  /** The token is the `token` query parameter, not a header (a WebSocket: browsers cannot set headers on it). */
  tokenInQuery?: boolean
  /** Descriptions of the route's own problem answers (404, 409, 412, 422...), by status. */
  problems?: Readonly<Record<number, string>>
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's documentation beyond its schema (see `OperationDoc`). */
    doc?: OperationDoc
  }
}

/**
 * A route's options from its OpenAPI operation: the stable `operationId` clients are
 * generated with, who may call it (`config.auth`, checked by the access plugin), its
 * schemas (TypeBox, which also type the handler) and what the document says besides.
 */
export function operation<const S extends FastifySchema>(
  operationId: string,
  auth: AuthRequirement,
  schema: S,
  doc: OperationDoc = {},
): { config: { auth: AuthRequirement; doc: OperationDoc }; schema: S & { operationId: string } } {
  return { config: { auth, doc }, schema: { ...schema, operationId } }
}

import type { FastifySchema } from 'fastify'
import type { Action, SubjectType } from '../auth/abilities.js'
import type { AuthRequirement } from './plugins/access.js'

/** The auth requirement "the caller's role may `action` a `subject`" (CASL). */
export const can = (action: Action, subject: SubjectType): AuthRequirement => ({ can: [action, subject] })

/**
 * A route's options from its OpenAPI operation: the stable `operationId` clients are
 * generated with, who may call it (`config.auth`, checked by the access plugin) and its
 * schemas (TypeBox, which also type the handler).
 */
export function operation<const S extends FastifySchema>(
  operationId: string,
  auth: AuthRequirement,
  schema: S,
): { config: { auth: AuthRequirement }; schema: S & { operationId: string } } {
  return { config: { auth }, schema: { ...schema, operationId } }
}

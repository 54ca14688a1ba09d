import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify'
import type { TSchema } from 'typebox'

/** The literal text a query or path value must be to count as its schema's scalar type. */
const LITERALS: Record<string, { pattern: RegExp; written: string }> = {
  integer: { pattern: /^-?\d+$/, written: 'a whole number' },
  number: { pattern: /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/, written: 'a number' },
  boolean: { pattern: /^(?:true|false)$/, written: 'true or false' },
}

/**
 * TypeBox validation (`@fastify/type-provider-typebox`), with the query string and path
 * parameters held to their literal forms first: TypeBox's conversion would read `limit=2.5`
 * as 2 and `limit=true` as 1, so a number or boolean field must be written as one.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = (route) => {
  const validate = TypeBoxValidatorCompiler(route)
  if (route.httpPart !== 'querystring' && route.httpPart !== 'params') return validate
  const literals = Object.entries((route.schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {})
    .map(([name, property]) => [name, typeof property.type === 'string' ? LITERALS[property.type] : undefined] as const)
    .filter((entry): entry is readonly [string, { pattern: RegExp; written: string }] => entry[1] !== undefined)
  if (literals.length === 0) return validate
  return (value) => {
    const errors: FastifySchemaValidationError[] = []
    for (const [name, literal] of literals) {
      const given = (value as Record<string, unknown> | undefined)?.[name]
      if (typeof given === 'string' && !literal.pattern.test(given)) {
        errors.push({
          keyword: 'type',
          instancePath: `/${name}`,
          schemaPath: `#/properties/${name}`,
          params: {},
          message: `must be written as ${literal.written}`,
        })
      }
    }
    return errors.length > 0 ? { error: errors } : validate(value)
  }
}

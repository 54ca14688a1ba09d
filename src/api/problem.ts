import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify'
import { type Dependency, unavailableDependency } from '../infra/dependency-errors.js'
import { AppError, type ErrorKind, type FieldError } from '../shared/errors.js'
import { NOT_BLANK, type Problem } from './schemas.js'

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  unprocessable: 422,
  rate_limited: 429,
  upgrade_required: 426,
  unavailable: 503,
}

/** Fastify's own client errors, by their code. */
const FASTIFY_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'REQUEST.BODY_TOO_LARGE', detail: 'The request body is larger than allowed' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
    detail: 'Request bodies must be application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'REQUEST.MALFORMED',
    detail: 'Content-Length does not match the body',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'REQUEST.EMPTY_BODY', detail: 'The JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'REQUEST.MALFORMED_JSON', detail: 'The body is not valid JSON' },
  FST_ERR_BAD_URL: { status: 400, code: 'REQUEST.BAD_URL', detail: 'The URL has a malformed percent-encoding' },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 414,
    code: 'REQUEST.URI_TOO_LONG',
    detail: 'A path segment is longer than any identifier this API uses',
  },
}

/** Builds the problem document for a status; `type` is a stable URN per code. */
export function problem(
  request: FastifyRequest,
  status: number,
  code: string,
  detail: string,
  extra: Partial<Problem> = {},
): Problem {
  return {
    type: `urn:problem:${code.toLowerCase().replace(/[._]/g, '-')}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    instance: request.url.split('?')[0] ?? request.url,
    code,
    ...extra,
  }
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type('application/problem+json').send(body)
}

/** Seconds a client is told to wait before retrying when a dependency is unavailable. */
export const UNAVAILABLE_RETRY_AFTER_S = 5

/**
 * 503 `SERVICE.UNAVAILABLE` naming the dependency (when known). A command's outcome is then
 * unknown — it may have been stored before the answer was lost — so clients are told to
 * retry with the same `Idempotency-Key`, which returns the stored result if there is one.
 */
export function unavailableProblem(request: FastifyRequest, dependency: Dependency | undefined): Problem {
  const what =
    dependency === undefined
      ? 'The request did not finish in time'
      : `${dependency === 'mongodb' ? 'MongoDB' : 'Redis'} is unavailable`
  const command = request.method !== 'GET' && request.method !== 'HEAD'
  return problem(
    request,
    503,
    'SERVICE.UNAVAILABLE',
    command
      ? `${what}; the outcome is unknown: retry with the same Idempotency-Key (a stored result is returned, never a duplicate)`
      : `${what}; retry shortly`,
    {
      retry_after: UNAVAILABLE_RETRY_AFTER_S,
      ...(dependency === undefined ? {} : { dependency }),
      ...(command ? { outcome: 'unknown' } : {}),
    },
  )
}

/** Maps any error to a problem; 5xx details never carry internal messages or stacks. */
export function problemFromError(error: FastifyError | Error, request: FastifyRequest): Problem {
  const dependency = unavailableDependency(error)
  if (dependency !== undefined) return unavailableProblem(request, dependency)
  if (error instanceof AppError) {
    return problem(request, STATUS_BY_KIND[error.kind], error.code, error.message, {
      ...(error.errors === undefined ? {} : { errors: error.errors }),
      ...error.extensions,
    })
  }
  const fastifyError = error as FastifyError
  if (fastifyError.validation) {
    const errors = validationErrors(fastifyError.validation, fastifyError.validationContext ?? 'body')
    return problem(request, 400, 'REQUEST.VALIDATION', `The request is invalid: ${errors.length} problem(s), see errors`, {
      errors,
    })
  }
  const known = FASTIFY_ERRORS[fastifyError.code]
  if (known) return problem(request, known.status, known.code, known.detail)
  const status = fastifyError.statusCode ?? 500
  if (status >= 400 && status < 500) {
    return problem(request, status, `HTTP.${status}`, fastifyError.message || (STATUS_CODES[status] ?? 'Client error'))
  }
  return problem(request, 500, 'INTERNAL', 'An unexpected error occurred; it has been logged with this request id')
}

/** A value as a message lists it: strings bare, anything else as JSON. */
const listed = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value))

/**
 * Enumerations and unions named by their allowed values: `enum` and a lone `const` say them,
 * and an `anyOf` whose branches failed on `const`/`enum`/`type` alone becomes one message
 * ("must be one of: hour, day, month") in place of a line per branch plus "must match a
 * schema in anyOf". Other unions keep their branches' messages.
 */
function namingAllowedValues(validation: FastifySchemaValidationError[]): FastifySchemaValidationError[] {
  const unions = new Map<FastifySchemaValidationError, string[]>()
  const folded = new Set<FastifySchemaValidationError>()
  for (const union of validation.filter((v) => v.keyword === 'anyOf')) {
    const branches = validation.filter(
      (v) => v.instancePath === union.instancePath && v.schemaPath.startsWith(`${union.schemaPath}/anyOf/`),
    )
    const allowed = branches.map(allowedBy)
    if (branches.length === 0 || allowed.some((values) => values === undefined)) continue
    unions.set(union, [...new Set(allowed.flat() as string[])])
    for (const branch of branches) folded.add(branch)
  }
  return validation
    .filter((v) => !folded.has(v))
    .map((v) => {
      const allowed = unions.get(v) ?? (v.keyword === 'enum' || v.keyword === 'const' ? allowedBy(v) : undefined)
      if (allowed === undefined) return v
      return { ...v, message: allowed.length === 1 ? `must be ${allowed[0] ?? ''}` : `must be one of: ${allowed.join(', ')}` }
    })
}

/** What a failed `const`, `enum` or `type` check allowed, written for a message (undefined for other keywords). */
function allowedBy(v: FastifySchemaValidationError): string[] | undefined {
  const params = v.params as { allowedValue?: unknown; allowedValues?: unknown[]; type?: unknown }
  if (v.keyword === 'const') return [listed(params.allowedValue)]
  if (v.keyword === 'enum' && Array.isArray(params.allowedValues)) return params.allowedValues.map(listed)
  if (v.keyword === 'type' && typeof params.type === 'string') return [params.type === 'null' ? 'null' : `any ${params.type}`]
  return undefined
}

/** Patterns that stand for a rule, said as the rule rather than as the regular expression. */
const PATTERN_MESSAGES: Record<string, string> = { [NOT_BLANK]: 'must not be empty or only spaces' }

function patternMessage(v: FastifySchemaValidationError): string | undefined {
  const { pattern } = v.params as { pattern?: unknown }
  return v.keyword === 'pattern' && typeof pattern === 'string' ? PATTERN_MESSAGES[pattern] : undefined
}

/** Every failing field, with a path like `body/items/0/quantity`; unknown fields named; allowed values listed. */
function validationErrors(validation: FastifySchemaValidationError[], context: string): FieldError[] {
  const seen = new Set<string>()
  const errors: FieldError[] = []
  for (const v of namingAllowedValues(validation)) {
    // TypeBox reports an unknown property twice: as "schema is false" and as additionalProperties.
    if (v.keyword === 'boolean') continue
    const params = v.params as { additionalProperties?: string[]; requiredProperties?: string[] }
    const entries =
      v.keyword === 'additionalProperties' && params.additionalProperties
        ? params.additionalProperties.map((name) => [`${v.instancePath}/${name}`, 'is not an allowed field'] as const)
        : v.keyword === 'required' && params.requiredProperties
          ? params.requiredProperties.map((name) => [`${v.instancePath}/${name}`, 'is required'] as const)
          : [[v.instancePath, patternMessage(v) ?? v.message ?? 'is invalid'] as const]
    for (const [pointer, message] of entries) {
      const path = `${context}${pointer}`
      const key = `${path}\u0000${message}`
      if (seen.has(key)) continue
      seen.add(key)
      errors.push({ path, message })
    }
  }
  return errors
}

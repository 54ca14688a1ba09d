import { STATUS_CODES } from 'node:http'
import type { RouteOptions } from 'fastify'
import { ROLES, defineAbilityFor } from '../../auth/abilities.js'
import type { OperationDoc } from '../operation.js'
import type { AuthRequirement } from '../plugins/access.js'
import {
  type HeaderName,
  STANDARD_RESPONSES,
  type StandardStatus,
  components,
  everyAnswerHeaders,
  problemResponse,
  ref,
} from './components.js'
import { OPERATION_EXAMPLES } from './examples.js'

/**
 * The OpenAPI document completed from what the routes declare: `describeRoute` (swagger's
 * `transform`) sets each operation's security and notes the route's facts; `completeDocument`
 * (its `transformObject`) adds the answers the hooks give — 400 everywhere (the input guard),
 * 413/415 with a body, 401/403 from `config.auth`, 429 and 503 on `/api` — the headers, the
 * problem media type, CSV downloads and examples, and names the shared response schemas.
 */

/** Where the route's facts travel from `describeRoute` to `completeDocument` (removed there). */
const FACTS = 'x-route-facts'

interface RouteFacts {
  /** public: no token; token: any valid token; role: a token whose role may (403 otherwise). */
  auth: 'public' | 'token' | 'role'
  api: boolean
  /** The readiness and liveness routes answer during shutdown; every other one answers 503. */
  health: boolean
  doc: OperationDoc
}

type Json = Record<string, unknown>
interface Operation extends Json {
  operationId?: string
  parameters?: Json[]
  requestBody?: { content: Record<string, Json> }
  responses: Record<string, Json>
}

/** What a route asks of its caller: a 403 is possible only when some role lacks the ability. */
function authOf(auth: AuthRequirement | undefined, doc: OperationDoc): RouteFacts['auth'] {
  if (doc.tokenInQuery) return 'role' // the live feed: admins and auditors only
  if (auth === undefined || auth === 'public') return 'public'
  if (auth === 'authenticated') return 'token'
  const [action, subject] = auth.can
  return ROLES.every((role) => defineAbilityFor({ sub: 'anyone', role }).can(action, subject)) ? 'token' : 'role'
}

/** swagger `transform`: the operation's security, and its facts for `completeDocument`. */
export function describeRoute({ schema, url, route }: { schema: unknown; url: string; route: RouteOptions }) {
  const config = route.config
  const doc = config?.doc ?? {}
  const facts: RouteFacts = {
    auth: authOf(config?.auth, doc),
    api: url.startsWith('/api/'),
    health: url.startsWith('/health'),
    doc,
  }
  const security = doc.tokenInQuery ? [{ queryToken: [] }] : facts.auth === 'public' ? [] : undefined
  return {
    schema: { ...(schema as Json), ...(security ? { security } : {}), [FACTS]: facts },
    url,
  }
}

const isOperation = (method: string) => ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'].includes(method)

/** swagger `transformObject`: completes every operation, then keeps only the components in use. */
export function completeDocument<D extends object>(given: D): D {
  const document = given as { paths?: Record<string, Record<string, unknown>>; components?: Json }
  const schemas: Record<string, Json> = {}
  for (const item of Object.values(document.paths ?? {})) {
    for (const [method, value] of Object.entries(item)) {
      if (!isOperation(method)) continue
      const operation = value as Operation
      const facts = operation[FACTS] as RouteFacts
      Reflect.deleteProperty(operation, FACTS)
      completeOperation(operation, facts)
      for (const response of Object.values(operation.responses)) {
        for (const media of Object.values((response.content ?? {}) as Record<string, Json>)) hoistNamed(media, schemas)
      }
    }
  }
  const all = components()
  const withSchemas = { ...document, components: { ...document.components, ...all, schemas: { ...schemas, ...all.schemas } } }
  return pruneComponents(withSchemas) as D
}

function completeOperation(operation: Operation, { auth, api, health, doc }: RouteFacts): void {
  if (doc.description) operation.description = doc.description
  const responses = operation.responses
  // The route's own problem answers: the problem media type, described.
  for (const [status, response] of Object.entries(responses)) {
    const schema = (response.content as Record<string, Json> | undefined)?.['application/json']?.schema as Json | undefined
    if (schema?.title !== 'Problem') continue
    responses[status] = answer(Number(status), api, doc.problems?.[Number(status)])
  }
  const standard: StandardStatus[] = [
    400, // every route: the input guard refuses operator-like query keys (`$gt`, `a.b`) before any schema
    ...(auth === 'public' ? [] : ([401] as const)),
    ...(auth === 'role' ? ([403] as const) : []),
    ...(operation.requestBody ? ([413, 415] as const) : []),
    ...(api ? ([429] as const) : []),
    ...(health ? [] : ([503] as const)),
  ]
  for (const status of standard) if (!(status in responses)) responses[status] = answer(status, api, doc.problems?.[status])

  const reads = doc.reads ?? []
  if (reads.length > 0) operation.parameters = [...(operation.parameters ?? []), ...reads.map((name) => ref('parameters', name))]

  for (const [status, response] of Object.entries(responses)) {
    if ('$ref' in response || !status.startsWith('2')) continue
    if (response.description === 'Default Response') response.description = STATUS_CODES[Number(status)] ?? 'Success'
    const sets: HeaderName[] = [...(doc.sets ?? []), ...(doc.csv ? (['Content-Disposition'] as const) : [])]
    response.headers = {
      ...everyAnswerHeaders(api),
      ...Object.fromEntries(sets.map((name) => [name, ref('headers', name)])),
    }
    const json = (response.content as Record<string, Json> | undefined)?.['application/json']
    const example = operation.operationId === undefined ? undefined : OPERATION_EXAMPLES[operation.operationId]
    if (json && example?.response) json.examples = { [operation.operationId ?? '']: { value: example.response } }
    if (doc.csv) {
      response.content = {
        ...(response.content as Json),
        'text/csv': {
          schema: { type: 'string', description: `RFC 4180, header row, CRLF; columns: ${doc.csv}` },
          ...(doc.csvExample ? { example: doc.csvExample } : {}),
        },
      }
    }
  }
  const request = operation.requestBody?.content['application/json']
  const example = operation.operationId === undefined ? undefined : OPERATION_EXAMPLES[operation.operationId]
  if (request && example?.request) request.examples = { [operation.operationId ?? '']: { value: example.request } }
}

/** A problem answer: a shared one unless the route says something of its own. */
function answer(status: number, api: boolean, description: string | undefined): Json {
  const standard = STANDARD_RESPONSES[status as StandardStatus] as (typeof STANDARD_RESPONSES)[StandardStatus] | undefined
  if (standard && description === undefined && api) return ref('responses', standard.name)
  const headers = standard && 'headers' in standard ? standard.headers : []
  return problemResponse(status, description ?? standard?.description ?? STATUS_CODES[status] ?? 'Error', api, headers)
}

/** Replaces each titled schema of a response by a reference to `components.schemas[title]`. */
function hoistNamed(node: Json, schemas: Record<string, Json>): void {
  for (const [key, value] of Object.entries(node)) {
    if (typeof value !== 'object' || value === null) continue
    const child = value as Json
    hoistNamed(child, schemas)
    if (key === 'examples' || typeof child.title !== 'string' || child.title === 'Problem') continue
    const name = child.title
    const known = schemas[name]
    if (known && JSON.stringify(known) !== JSON.stringify(child)) throw new Error(`two different schemas are titled ${name}`)
    schemas[name] = child
    node[key] = ref('schemas', name)
  }
}

/** Drops the components nothing refers to (the linter warns of unused ones), until none is left. */
function pruneComponents<D extends { components?: Json }>(document: D): D {
  for (;;) {
    const used = new Set<string>()
    collectRefs(document, used)
    let removed = false
    for (const [section, entries] of Object.entries(document.components ?? {})) {
      if (section === 'securitySchemes') continue
      for (const name of Object.keys(entries as Json)) {
        if (used.has(`#/components/${section}/${name}`)) continue
        Reflect.deleteProperty(entries as Json, name)
        removed = true
      }
    }
    if (!removed) return document
  }
}

function collectRefs(node: unknown, into: Set<string>): void {
  if (typeof node !== 'object' || node === null) return
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') into.add(value)
    else collectRefs(value, into)
  }
}

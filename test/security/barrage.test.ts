import { createHmac, createPublicKey, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto'
import fc from 'fast-check'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { TEST_PASSWORD, bearer, tokenFor } from '../support/auth.js'

/*
 * Security barrage: a seeded stream of generated requests over every operation of the
 * OpenAPI document (the WebSocket handshake route included: its token is a query parameter).
 * Each request is a valid one with at least one defect that must make the service refuse
 * it: a schema violation, a bad token, a wrong content type, a broken URL, a target that
 * does not exist... Every answer must be a 4xx problem document, and the refused requests
 * must leave users, SKUs, orders and the event store's head where they were.
 *
 * Replay a run: BARRAGE_SEED=<the seed it printed> npx vitest run test/security/barrage.test.ts
 */

const SEED = seedOf(process.env.BARRAGE_SEED)
const REQUESTS_PER_OPERATION = 150
const MIN_REQUESTS = 2000
/** Fastify's `maxParamLength` (default): longer path parameters are refused before routing. */
const MAX_PARAM_LENGTH = 100
const BODY_LIMIT = 256 * 1024
const JSON_TYPE = 'application/json'

const REP = 'barrage-rep@test.local'
const AUDITOR = 'barrage-auditor@test.local'
const DISABLED = 'barrage-disabled@test.local'
const NEW_USER = 'barrage-new@test.local'

/** The only `/api` operation without a bearer token (README: every other one needs it). */
const PUBLIC_API_OPERATIONS = new Set(['issueToken'])
/** Operations that read `If-Match` and `Idempotency-Key` (README, "SKUs and orders"). */
const IF_MATCH_OPERATIONS = new Set([
  'confirmOrder',
  'shipOrder',
  'deliverOrder',
  'cancelOrder',
  'updateSku',
  'deactivateSku',
  'reactivateSku',
])
const IDEMPOTENT_OPERATIONS = new Set(['placeOrder', 'createSku'])
/** Methods a probe may switch to (HEAD would be Fastify's twin of a GET, OPTIONS a CORS preflight). */
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']
const OPENAPI_METHODS = new Set([...HTTP_METHODS, 'HEAD', 'OPTIONS', 'TRACE'])

function seedOf(text: string | undefined): number {
  if (text === undefined || text === '') return 20_260_501
  const seed = Number(text)
  if (!Number.isSafeInteger(seed)) throw new Error(`BARRAGE_SEED must be an integer (got "${text}")`)
  return seed
}

// ---------------------------------------------------------------------------------------
// Shapes: JSON, the part of JSON Schema the document uses, operations, requests

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = Record<string, Json>

interface JsonSchema {
  type?: string
  enum?: unknown[]
  anyOf?: JsonSchema[]
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean
  minProperties?: number
  items?: JsonSchema
  minItems?: number
  maxItems?: number
  description?: string
}

interface Parameter {
  name: string
  in: string
  schema: JsonSchema
  description?: string
}

interface Operation {
  id: string
  method: string
  path: string
  parameters: Parameter[]
  body?: JsonSchema
  /** Every method the document lists for this path: any other one must not be routed. */
  pathMethods: string[]
  auth: 'bearer' | 'public' | 'query-token'
}

/** A request being built: path parameters and query pieces are already URL-encoded. */
interface Draft {
  method: Sent['method']
  path: Record<string, string>
  query: [string, string][]
  headers: Record<string, string>
  body?: Json
  /** Sent instead of `body` when set (malformed JSON, raw `__proto__` keys, deep nesting). */
  raw?: string | Buffer
  contentType?: string
}

/** One reason the service must refuse the request; applying it to any draft keeps it refused. */
interface Defect {
  label: string
  apply: (draft: Draft) => Draft
}

interface Sent {
  method: NonNullable<InjectOptions['method']>
  url: string
  headers: Record<string, string>
  payload?: string | Buffer
}

interface Probe {
  op: string
  defects: string[]
  request: Sent
}

/** The valid request each operation's probes start from, and the refusals its data allows. */
interface Baseline {
  path?: Record<string, string>
  query?: Record<string, string>
  body?: JsonObject
  /** Well-formed requests the service refuses by its rules (no such order, a SKU code taken, ...). */
  refusals?: Defect[]
}

interface World {
  tokens: { admin: string; rep: string; auditor: string }
  /** Tokens the service must refuse, by what is wrong with them. */
  badTokens: [string, string][]
  skus: [string, string]
  orders: { open: string; cancelled: string }
}

const defect = (label: string, apply: (draft: Draft) => Draft): Defect => ({ label, apply })
const isJsonObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
/** The draft's body as an object to change, or an empty one if an earlier defect replaced it. */
const objectBody = (draft: Draft): JsonObject => (isJsonObject(draft.body) ? structuredClone(draft.body) : {})
const withBody = (draft: Draft, body: Json): Draft => ({ ...draft, body, raw: undefined })
/** A raw JSON body; `contentType` may be another type or `undefined` (no Content-Type at all). */
const withRaw = (draft: Draft, raw: string | Buffer, contentType: { type: string | undefined } = { type: JSON_TYPE }): Draft => ({
  ...draft,
  raw,
  contentType: contentType.type,
})
const withHeader = (draft: Draft, name: string, value: string | undefined): Draft => {
  const headers = omit(draft.headers, name)
  return { ...draft, headers: value === undefined ? headers : { ...headers, [name]: value } }
}
const withQuery = (draft: Draft, name: string, ...values: string[]): Draft => ({
  ...draft,
  query: [...draft.query.filter(([key]) => key !== name), ...values.map((value): [string, string] => [name, value])],
})
const withPath = (draft: Draft, name: string, encoded: string): Draft => ({ ...draft, path: { ...draft.path, [name]: encoded } })

/** Percent-encodes every byte but the unreserved ones (lone surrogates go as U+FFFD). */
function percentEncode(text: string): string {
  let encoded = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte)
    encoded += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return encoded
}

/** What the service decodes from a percent-encoded text. */
const asSent = (text: string): string => Buffer.from(text, 'utf8').toString('utf8')
const base64url = (text: string): string => Buffer.from(text).toString('base64url')
const fullWidth = (text: string): string =>
  text.replace(/[!-~]/g, (char) => String.fromCharCode(char.charCodeAt(0) - 0x21 + 0xff01))

// ---------------------------------------------------------------------------------------
// What the schemas accept. Lenient wherever validators differ (string length in code units
// or code points), so a value it calls invalid is invalid for the service too.

const patterns = new Map<string, RegExp>()

function accepts(schema: JsonSchema, value: unknown): boolean {
  if (schema.anyOf) return schema.anyOf.some((option) => accepts(option, value))
  if (schema.enum && !schema.enum.includes(value)) return false
  switch (schema.type) {
    case undefined:
      return true
    case 'string':
      return typeof value === 'string' && stringAccepted(schema, value)
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && inRange(schema, value)
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && inRange(schema, value)
    case 'boolean':
      return typeof value === 'boolean'
    case 'array':
      return Array.isArray(value) && arrayAccepted(schema, value)
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value) && objectAccepted(schema, value)
    default:
      throw new Error(`the barrage does not know JSON Schema type "${schema.type}"`)
  }
}

function stringAccepted(schema: JsonSchema, value: string): boolean {
  if (schema.minLength !== undefined && value.length < schema.minLength) return false
  if (schema.maxLength !== undefined && codePoints(value) > schema.maxLength) return false
  if (schema.pattern === undefined) return true
  let pattern = patterns.get(schema.pattern)
  if (!pattern) patterns.set(schema.pattern, (pattern = new RegExp(schema.pattern, 'u')))
  return pattern.test(value)
}

/** Length in code points (a surrogate pair counts once, a lone surrogate once). */
const codePoints = (value: string): number => value.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '_').length

const inRange = (schema: JsonSchema, value: number): boolean =>
  (schema.minimum === undefined || value >= schema.minimum) && (schema.maximum === undefined || value <= schema.maximum)

function arrayAccepted(schema: JsonSchema, value: unknown[]): boolean {
  if (schema.minItems !== undefined && value.length < schema.minItems) return false
  if (schema.maxItems !== undefined && value.length > schema.maxItems) return false
  const items = schema.items
  return items === undefined || value.every((item) => accepts(items, item))
}

function objectAccepted(schema: JsonSchema, value: object): boolean {
  const entries = Object.entries(value)
  const properties = schema.properties ?? {}
  if (schema.minProperties !== undefined && entries.length < schema.minProperties) return false
  if (!(schema.required ?? []).every((name) => Object.hasOwn(value, name))) return false
  return entries.every(([name, item]) => {
    const property = properties[name]
    return property ? accepts(property, item) : schema.additionalProperties !== false
  })
}

// ---------------------------------------------------------------------------------------
// Junk: strings, numbers and JSON values that break fields

/** Characters that break naive handling: lone surrogates, NUL, bidi and zero-width controls, full-width letters. */
const SPECIAL_CHARS = [
  '\ud800',
  '\udfff',
  '\u0000',
  '\u202e',
  '\u202d',
  '\u200b',
  '\u200f',
  '\ufeff',
  '\u2028',
  '\uffff',
  '\u00a0',
  'Ａ',
  'ｚ',
  '１',
  '＠',
  '．',
  'é',
  'e\u0301',
  'İ',
  '😀',
  '\n',
  '\t',
  ' ',
  '"',
  '\\',
  '/',
  '%',
  '$',
  '.',
  '@',
  '<',
  '>',
  '&',
  "'",
  '`',
  '{',
  '[',
]
const specialChar = fc.constantFrom(...SPECIAL_CHARS)
const specialString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: specialChar, minLength: 1, maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.string({ unit: 'grapheme', maxLength: 16 }),
  fc.constantFrom(
    'null',
    'undefined',
    'NaN',
    '[object Object]',
    '<script>alert(1)</script>',
    "' OR '1'='1",
    '{"$ne":null}',
    '../../etc/passwd',
  ),
)

/** A valid value, slightly wrong: a special character slipped in, the case flipped, full-width, cut short. */
function nearMiss(valid: string): fc.Arbitrary<string> {
  return fc
    .tuple(fc.nat(), specialChar, fc.constantFrom('insert', 'replace', 'prefix', 'suffix', 'upper', 'lower', 'full-width', 'cut'))
    .map(([at, char, how]) => {
      const i = valid.length === 0 ? 0 : at % valid.length
      switch (how) {
        case 'insert':
          return valid.slice(0, i) + char + valid.slice(i)
        case 'replace':
          return valid.slice(0, i) + char + valid.slice(i + 1)
        case 'prefix':
          return char + valid
        case 'suffix':
          return valid + char
        case 'upper':
          return valid.toUpperCase()
        case 'lower':
          return valid.toLowerCase()
        case 'full-width':
          return fullWidth(valid)
        default:
          return valid.slice(0, i)
      }
    })
}

const jsonJunk: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, '', [], {}, [null], {
    '': null,
  }),
  specialString,
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
)

/** Strings a string schema refuses: near misses of the valid one, empty, too long (some near the body limit), junk. */
function badStrings(schema: JsonSchema, valid: string): fc.Arbitrary<Json> {
  const options: fc.Arbitrary<Json>[] = [nearMiss(valid), specialString, fc.constant('')]
  if (schema.maxLength !== undefined) {
    const max = schema.maxLength
    options.push(fc.integer({ min: max + 1, max: max + 64 }).map((n) => valid.padEnd(n, 'x')))
    options.push(fc.integer({ min: 100_000, max: 200_000 }).map((n) => 'y'.repeat(n)))
  }
  return fc.oneof(...options)
}

/** Numbers a numeric schema refuses: just outside its range, fractional, huge. */
function badNumbers(schema: JsonSchema): fc.Arbitrary<Json> {
  const edges = [-1, -0.5, 0.1, 1.5, 1e308, -1e308, 2 ** 63, Number.MAX_SAFE_INTEGER + 2]
  if (schema.minimum !== undefined) edges.push(schema.minimum - 1, schema.minimum + 0.5)
  if (schema.maximum !== undefined) edges.push(schema.maximum + 1, schema.maximum - 0.5)
  return fc.oneof(fc.constantFrom(...edges), fc.double({ noNaN: true, noDefaultInfinity: true }))
}

function enumValues(schema: JsonSchema): string[] {
  const values = [...(schema.enum ?? []), ...(schema.anyOf ?? []).flatMap((option) => option.enum ?? [])]
  return values.filter((value): value is string => typeof value === 'string')
}

/** Almost-members of an enumeration: other case, padded, full-width, cut, with NUL. */
function enumMisses(schema: JsonSchema): fc.Arbitrary<string> {
  const values = enumValues(schema)
  const misses = values.flatMap((value) => [
    value.toUpperCase(),
    ` ${value}`,
    `${value} `,
    `${value}\u0000`,
    fullWidth(value),
    value.slice(0, -1),
  ])
  return fc.oneof(fc.constantFrom('', '*', 'null', ...misses), specialString)
}

/** Any value the schema refuses; objects and arrays are also broken one level inside. */
function brokenValue(schema: JsonSchema, valid: Json | undefined, depth = 0): fc.Arbitrary<Json> {
  const options: fc.Arbitrary<Json>[] = [jsonJunk]
  if (schema.type === 'string') options.push(badStrings(schema, typeof valid === 'string' ? valid : 'x'))
  if (schema.type === 'integer' || schema.type === 'number') options.push(badNumbers(schema))
  if (enumValues(schema).length > 0) options.push(enumMisses(schema))
  if (schema.type === 'object' && depth < 2) options.push(brokenObject(schema, isJsonObject(valid) ? valid : {}, depth + 1))
  if (schema.type === 'array' && depth < 2) options.push(brokenArray(schema, Array.isArray(valid) ? valid : [], depth + 1))
  return fc.oneof(...options).filter((value) => !accepts(schema, value))
}

function brokenObject(schema: JsonSchema, valid: JsonObject, depth: number): fc.Arbitrary<Json> {
  const properties = schema.properties ?? {}
  const names = Object.keys(properties)
  const options: fc.Arbitrary<Json>[] = [
    fc.constant({}),
    fc.tuple(unknownKey(properties), jsonJunk).map(([key, value]) => ({ ...valid, [key]: value })),
  ]
  if (names.length > 0) {
    options.push(
      fc
        .constantFrom(...names)
        .chain((name) => brokenValue(properties[name] ?? {}, valid[name], depth).map((value) => ({ ...valid, [name]: value }))),
    )
  }
  for (const name of schema.required ?? []) options.push(fc.constant(omit(valid, name)))
  return fc.oneof(...options)
}

function brokenArray(schema: JsonSchema, valid: Json[], depth: number): fc.Arbitrary<Json> {
  const first = valid[0] ?? null
  const options: fc.Arbitrary<Json>[] = [fc.constant([]), fc.constant({ 0: first }), fc.constant([...valid, ...valid])]
  if (schema.maxItems !== undefined) options.push(fc.constant(Array.from({ length: schema.maxItems + 1 }, () => first)))
  if (schema.items) options.push(brokenValue(schema.items, first, depth).map((item) => [item, ...valid.slice(1)]))
  return fc.oneof(...options)
}

function omit<T extends Record<string, unknown>>(object: T, name: string): T {
  const { [name]: _omitted, ...rest } = object
  return rest as T
}

/** A key no schema here declares (`__proto__` goes as raw JSON elsewhere: object literals eat it). */
function unknownKey(properties: Record<string, JsonSchema>): fc.Arbitrary<string> {
  const keys = [
    'id',
    '_id',
    'role',
    'is_admin',
    'password_hash',
    'version',
    'position',
    'status',
    'created_at',
    'constructor',
    'prototype',
  ]
  const more = ['toString', 'hasOwnProperty', '', ' ', 'ｎａｍｅ', '\u202erole', 'name\u0000', 'NAME', 'Name', 'e\u0301mail']
  return fc
    .oneof(fc.constantFrom(...keys, ...more), fc.string({ maxLength: 12 }))
    .filter((key) => key !== '__proto__' && !Object.hasOwn(properties, key))
}

// ---------------------------------------------------------------------------------------
// Defects, by the part of the request they break

const universalDefects = (op: Operation): fc.Arbitrary<Defect>[] => [operatorQueryKey, unroutedMethod(op)]

/** `$` and dotted query keys are refused on every route (input guard). */
const operatorQueryKey: fc.Arbitrary<Defect> = fc
  .tuple(
    fc.constantFrom(
      '$where',
      '%24gt',
      '$ne',
      'a.b',
      'x.%24y',
      '__proto__.polluted',
      'constructor.prototype.polluted',
      'items.0.sku',
      '$',
      '.',
    ),
    fc.constantFrom('1', '', 'true', percentEncode('{"$gt":""}')),
  )
  .map(([key, value]) => defect('query.operator-key', (draft) => ({ ...draft, query: [...draft.query, [key, value]] })))

/** A method the document does not list for the path. */
function unroutedMethod(op: Operation): fc.Arbitrary<Defect> {
  const methods = HTTP_METHODS.filter((method) => !op.pathMethods.includes(method))
  return fc.constantFrom(...methods).map((method) => defect(`method.${method}`, (draft) => ({ ...draft, method })))
}

function badAuthorization(world: World): fc.Arbitrary<Defect> {
  const admin = world.tokens.admin
  const headers: [string, string | undefined][] = [
    ['missing', undefined],
    ['empty', ''],
    ['basic', 'Basic YWRtaW46YWRtaW4='],
    ['bearer-without-token', 'Bearer'],
    ['bearer-blank', 'Bearer   '],
    ['token-scheme', `Token ${admin}`],
    ['two-tokens', `Bearer ${admin} ${admin}`],
    ['token-with-nul', `Bearer ${admin}\u0000`],
    ['full-width-scheme', `Ｂｅａｒｅｒ ${admin}`],
    ...world.badTokens.map(([label, token]): [string, string] => [label, `Bearer ${token}`]),
  ]
  return fc
    .constantFrom(...headers)
    .map(([label, value]) => defect(`auth.${label}`, (draft) => withHeader(draft, 'authorization', value)))
}

/** The WebSocket route takes its token from the query (browsers cannot set headers on one). */
function badQueryToken(world: World): fc.Arbitrary<Defect> {
  const tokens: [string, string | undefined][] = [
    ['missing', undefined],
    ['rep-may-not-follow-the-feed', world.tokens.rep],
    ...world.badTokens,
  ]
  return fc
    .constantFrom(...tokens)
    .map(([label, token]) =>
      defect(`auth.${label}`, (draft) =>
        token === undefined
          ? { ...draft, query: draft.query.filter(([key]) => key !== 'token') }
          : withQuery(draft, 'token', percentEncode(token)),
      ),
    )
}

// --- query ------------------------------------------------------------------------------

/** Unknown names: every operation that declares query parameters refuses others (additionalProperties: false). */
function unknownQueryName(params: Parameter[]): fc.Arbitrary<Defect> {
  const declared = new Set(params.map((param) => param.name))
  const names = ['__proto__', 'constructor', 'prototype', 'toString', 'LIMIT', 'Limit', 'limit ', 'limit[]', 'limit[0]', '\u0000']
  const more = ['ｌｉｍｉｔ', '\u202elimit', 'q', 'sort', 'page', 'offset', 'fields', 'debug', 'include_deleted', 'token ']
  return fc
    .tuple(
      fc.oneof(fc.constantFrom(...names, ...more), fc.string({ minLength: 1, maxLength: 10 })),
      fc.constantFrom('1', 'true', ''),
    )
    .filter(([name]) => !declared.has(asSent(name)))
    .map(([name, value]) =>
      defect('query.unknown-name', (draft) => ({ ...draft, query: [...draft.query, [percentEncode(name), value]] })),
    )
}

/** A declared name given twice (an array where one value is expected). */
function repeatedQueryKey(params: Parameter[], base: Baseline): fc.Arbitrary<Defect> {
  return fc.constantFrom(...params).map((param) => {
    const value = percentEncode(plausibleQueryValue(param, base))
    return defect(`query.repeated-${param.name}`, (draft) => withQuery(draft, param.name, value, value))
  })
}

function plausibleQueryValue(param: Parameter, base: Baseline): string {
  const given = base.query?.[param.name]
  if (given !== undefined) return given
  if (param.schema.type === 'integer') return String(param.schema.minimum ?? 0)
  if (param.schema.type === 'boolean') return 'true'
  return enumValues(param.schema)[0] ?? 'x'
}

/** A value the parameter refuses (URL-encoded); query values arrive as text and are converted, so numbers get text junk. */
function badQueryValue(param: Parameter, world: World): fc.Arbitrary<Defect> {
  return badQueryText(param, world).map((text) =>
    defect(`query.bad-${param.name}`, (draft) => withQuery(draft, param.name, text)),
  )
}

function badQueryText(param: Parameter, world: World): fc.Arbitrary<string> {
  const schema = param.schema
  if (isDateParameter(param)) return impossibleDate
  if (param.name === 'cursor') return junkCursor
  if (param.name === 'tz') return badZone
  if (param.name === 'token') return fc.constantFrom(...world.badTokens.map(([, token]) => percentEncode(token)))
  if (schema.type === 'integer') return badIntegerText(schema)
  if (schema.type === 'boolean') {
    return fc
      .constantFrom('yes', 'no', 'on', 'off', '2', '-1', 'null', '', '[]', 't', 'f', 'truee', 'ｔｒｕｅ', 'true\u0000')
      .map(percentEncode)
  }
  // A free-form string has no invalid value the schema alone could name: such a parameter needs its own generator above.
  if (schema.pattern === undefined && schema.maxLength === undefined && enumValues(schema).length === 0) {
    throw new Error(`no invalid values known for query parameter ${param.name} (${JSON.stringify(schema)}): teach the barrage`)
  }
  const options: fc.Arbitrary<string>[] = [nearMiss(world.skus[0]), nearMiss(REP), specialString, enumMisses(schema)]
  if (schema.maxLength !== undefined) {
    options.push(fc.integer({ min: schema.maxLength + 1, max: schema.maxLength + 500 }).map((n) => 'x'.repeat(n)))
  }
  return fc
    .oneof(...options)
    .filter((text) => !accepts(schema, asSent(text)))
    .map(percentEncode)
}

/** Integers as text: out of range, fractional, overflowing, other types, other digits. */
function badIntegerText(schema: JsonSchema): fc.Arbitrary<string> {
  const edges = [
    '2.5',
    '-0.5',
    '1e400',
    '-1e400',
    '9'.repeat(400),
    'Infinity',
    '-Infinity',
    'NaN',
    'true',
    'false',
    'null',
    '[]',
    '{}',
  ]
  edges.push('١٢', '１２', '1,000', '1_000', '12abc', '0x', '--1')
  if (schema.minimum !== undefined) edges.push(String(schema.minimum - 1), `-${'9'.repeat(30)}`)
  if (schema.maximum !== undefined) edges.push(String(schema.maximum + 1))
  const junk = specialString.filter((text) => text.trim() !== '' && Number.isNaN(Number(text)))
  return fc.oneof(fc.constantFrom(...edges), junk).map(percentEncode)
}

const isDateParameter = (param: Parameter): boolean => param.description?.includes('ISO') === true

/** Dates that do not exist or are not ISO-8601; `raw` ones go unencoded, so `+` arrives as a space. */
const IMPOSSIBLE_DATES: { text: string; raw?: boolean }[] = [
  { text: 'YYYY-02-30' },
  { text: 'YYYY-02-31' },
  { text: 'YYYY-02-29' },
  { text: 'YYYY-04-31' },
  { text: 'YYYY-13-01' },
  { text: 'YYYY-00-10' },
  { text: 'YYYY-01-00' },
  { text: 'YYYY-01-32' },
  { text: 'YYYY-01-01T23:60:00Z' },
  { text: 'YYYY-01-01T25:00:00Z' },
  { text: 'YYYY-01-01T00:00:00+25:00' },
  { text: 'YYYY-01-01T00:00:00+05:30', raw: true },
  { text: 'YYYY-1-1' },
  { text: '01/02/YYYY' },
  { text: 'YYYY-01-01T00:00:00ZZ' },
  { text: 'now' },
  { text: '' },
]
/** None of them leap years, so February 29th does not exist either. */
const YEARS = ['1969', '2025', '2026', '2099']

const impossibleDate: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...IMPOSSIBLE_DATES), fc.constantFrom(...YEARS))
  .map(([{ text, raw }, year]) => {
    const date = text.replace('YYYY', year)
    return raw === true ? date : percentEncode(date)
  })

function impossibleDates(params: Parameter[]): fc.Arbitrary<Defect> {
  return fc
    .tuple(fc.constantFrom(...params), impossibleDate)
    .map(([param, text]) => defect(`query.impossible-date-${param.name}`, (draft) => withQuery(draft, param.name, text)))
}

const fromAfterTo: Defect = defect('query.from-after-to', (draft) =>
  withQuery(withQuery(draft, 'from', '2026-06-01'), 'to', '2026-01-01'),
)

/** Cursors this API never issued: valid base64 of the wrong JSON (types, fields, overflowing numbers), junk. */
const junkCursor: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    ...[
      '{"p":"1"}',
      '{"p":1,"x":2}',
      '{"p":null}',
      '{"p":[1]}',
      '{"p":{"$gt":0}}',
      '{"p":1e400}',
      '{"t":"1","e":"a"}',
      '{"t":1}',
      '{"t":9e15,"e":"a@b.c"}',
      '{"t":1e400,"e":"x"}',
      '{"__proto__":{"p":1}}',
      '{}',
      '[]',
      'null',
      '1',
      '"p"',
    ].map(base64url),
  ),
  fc.constantFrom('!!!', '%ZZ', '====', percentEncode('\u202e'), 'a'.repeat(2000)),
  fc.string({ unit: 'binary', maxLength: 24 }).map((text) => base64url(text)),
)

const badZone: fc.Arbitrary<string> = fc
  .constantFrom(
    'Mars/Olympus',
    'Asia/Kolkata\u0000',
    '../../etc/passwd',
    'Europe/',
    '',
    ' ',
    'A'.repeat(65),
    'Etc/GMT+99',
    '\u202eUTC',
  )
  .map(percentEncode)

// --- path -------------------------------------------------------------------------------

/** A value the parameter's schema refuses (never `.` or empty: URLs normalise those to another route). */
function badPathValue(param: Parameter, valid: string): fc.Arbitrary<Defect> {
  return fc
    .oneof(nearMiss(valid), specialString, fc.constantFrom('..', '0', '-1', '*', 'a/b', '?', '#', '\\', '%'))
    .filter((value) => value !== '' && asSent(value) !== '.' && !accepts(param.schema, asSent(value)))
    .map((value) => defect(`path.bad-${param.name}`, (draft) => withPath(draft, param.name, percentEncode(value))))
}

/** Broken percent-encoding: not hex, truncated, an encoded lone surrogate, overlong UTF-8, a stray byte. */
function badEscape(param: Parameter, valid: string): fc.Arbitrary<Defect> {
  return fc
    .tuple(fc.constantFrom('%ZZ', '%', '%2', '%E0%A4%A', '%ED%A0%80', '%C0%AF', '%FF', '%G1', '%%', '%u0041'), fc.boolean())
    .map(([escape, before]) =>
      defect(`path.bad-escape-${param.name}`, (draft) =>
        withPath(draft, param.name, before ? escape + percentEncode(valid) : percentEncode(valid) + escape),
      ),
    )
}

function overLongParam(param: Parameter, valid: string): fc.Arbitrary<Defect> {
  return fc
    .integer({ min: MAX_PARAM_LENGTH + 1, max: 2000 })
    .map((length) =>
      defect(`path.over-long-${param.name}`, (draft) => withPath(draft, param.name, percentEncode(valid).padEnd(length, 'A'))),
    )
}

// --- body -------------------------------------------------------------------------------

function bodyDefects(schema: JsonSchema, base: JsonObject): fc.MaybeWeightedArbitrary<Defect>[] {
  const properties = schema.properties ?? {}
  const names = Object.keys(properties)
  const defects: fc.MaybeWeightedArbitrary<Defect>[] = [
    fc
      .tuple(unknownKey(properties), jsonJunk)
      .map(([key, value]) => defect('body.unknown-field', (draft) => withBody(draft, { ...objectBody(draft), [key]: value }))),
    fc
      .constantFrom<Json>(null, [], 'text', '', 0, -1, true, false, [{}])
      .filter((value) => !accepts(schema, value))
      .map((value) => defect('body.top-level-type', (draft) => withBody(draft, value))),
    operatorBodyKey,
    prototypeKey,
    deepNesting(names),
    wrongContentType,
    malformedJson,
    emptyBody,
    tooLarge,
  ]
  // Weighted by the number of fields, so that each field is broken about as often as any other defect.
  if (names.length > 0) defects.push({ arbitrary: badField(schema, base), weight: names.length })
  if ((schema.required ?? []).length > 0) {
    defects.push(
      fc
        .constantFrom(...(schema.required ?? []))
        .map((name) => defect(`body.missing-${name}`, (draft) => withBody(draft, omit(objectBody(draft), name)))),
    )
  }
  if (!accepts(schema, {})) defects.push(fc.constant(defect('body.empty-object', (draft) => withBody(draft, {}))))
  return defects
}

/** One top-level field broken (and, for objects and arrays, possibly something inside it). */
function badField(schema: JsonSchema, base: JsonObject): fc.Arbitrary<Defect> {
  const properties = schema.properties ?? {}
  return fc
    .constantFrom(...Object.keys(properties))
    .chain((name) =>
      brokenValue(properties[name] ?? {}, base[name]).map((value) =>
        defect(`body.bad-${name}`, (draft) => withBody(draft, { ...objectBody(draft), [name]: value })),
      ),
    )
}

/** Every plain object inside a JSON value (where an extra key can go). */
function objectsIn(value: Json): JsonObject[] {
  if (Array.isArray(value)) return value.flatMap(objectsIn)
  if (!isJsonObject(value)) return []
  return [value, ...Object.values(value).flatMap(objectsIn)]
}

const operatorBodyKey: fc.Arbitrary<Defect> = fc
  .tuple(
    fc.constantFrom('$where', '$gt', '$ne', '$set', '$regex', '$expr', '$', 'a.b', '.', 'x.', '.x', 'items.0.sku'),
    jsonJunk,
    fc.nat(),
  )
  .map(([key, value, at]) =>
    defect('body.operator-key', (draft) => {
      const body = objectBody(draft)
      const targets = objectsIn(body)
      const target = targets[at % targets.length] ?? body
      target[key] = value
      return withBody(draft, body)
    }),
  )

/** Raw JSON members that poison prototypes when parsed naively (JS object literals cannot carry `__proto__`). */
const PROTOTYPE_MEMBERS = [
  '"__proto__":{"role":"admin","disabled":false}',
  '"__proto__":null',
  '"__proto__":[]',
  '"__proto__":{"__proto__":{"polluted":true}}',
  '"constructor":{"prototype":{"polluted":true}}',
]

/** Where objects open in JSON text, outside strings. */
function objectOpenings(text: string): number[] {
  const found: number[] = []
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (inString) {
      if (char === '\\') i++
      else if (char === '"') inString = false
    } else if (char === '"') inString = true
    else if (char === '{') found.push(i)
  }
  return found
}

const prototypeKey: fc.Arbitrary<Defect> = fc.tuple(fc.constantFrom(...PROTOTYPE_MEMBERS), fc.nat()).map(([member, at]) =>
  defect('body.prototype-key', (draft) => {
    const text = JSON.stringify(objectBody(draft))
    const openings = objectOpenings(text)
    const i = openings[at % openings.length] ?? 0
    const separator = text[i + 1] === '}' ? '' : ','
    return withRaw(draft, `${text.slice(0, i + 1)}${member}${separator}${text.slice(i + 1)}`)
  }),
)

/** Nesting far beyond any real body: arrays in a field (`{"email":[[[…]]]}`), objects, both. */
function deepNesting(names: string[]): fc.Arbitrary<Defect> {
  const depth = fc.oneof(fc.integer({ min: 33, max: 200 }), fc.integer({ min: 1000, max: 20_000 }), fc.constant(10_000))
  return fc
    .tuple(depth, fc.constantFrom('field-arrays', 'objects', 'arrays', 'mixed'), fc.constantFrom(...names, 'x'))
    .map(([n, shape, field]) => {
      const text =
        shape === 'field-arrays'
          ? `{${JSON.stringify(field)}:${'['.repeat(n)}${']'.repeat(n)}}`
          : shape === 'objects'
            ? `${`{${JSON.stringify(field)}:`.repeat(n)}1${'}'.repeat(n)}`
            : shape === 'arrays'
              ? `${'['.repeat(n)}${']'.repeat(n)}`
              : `${'[{"a":'.repeat(n)}null${'}]'.repeat(n)}`
      return defect('body.deep-nesting', (draft) => withRaw(draft, text))
    })
}

/** A body of another media type (or none declared), as that type or as JSON. */
const wrongContentType: fc.Arbitrary<Defect> = fc
  .tuple(
    fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=barrage',
      'application/xml',
      'text/json',
      'application/jsonp',
      'application/json-patch+json',
      'application/vnd.api+json',
      'application/problem+json',
      '',
      undefined,
    ),
    fc.constantFrom('json', 'form', 'multipart', 'xml'),
  )
  .map(([type, shape]) =>
    defect('body.content-type', (draft) => {
      const json = JSON.stringify(objectBody(draft))
      const payload =
        shape === 'json'
          ? json
          : shape === 'form'
            ? 'email=admin%40test.local&password=x&role=admin'
            : shape === 'multipart'
              ? `--barrage\r\nContent-Disposition: form-data; name="body"\r\n\r\n${json}\r\n--barrage--\r\n`
              : '<body><role>admin</role></body>'
      return withRaw(draft, payload, { type })
    }),
  )

/** Text that is not JSON; every strict prefix of an object's JSON is one of them. */
const malformedJson: fc.Arbitrary<Defect> = fc.oneof(
  fc.nat().map((at) =>
    defect('body.malformed-json', (draft) => {
      const text = JSON.stringify(objectBody(draft))
      return withRaw(draft, text.slice(0, 1 + (at % (text.length - 1))))
    }),
  ),
  fc
    .constantFrom<string | Buffer>(
      '{"a":1,}',
      "{'a':1}",
      '{"a":NaN}',
      '{"a":Infinity}',
      '{/*c*/}',
      '{a:1}',
      '{"a":undefined}',
      '{"a":1}}',
      '{"a":1} x',
      '{"a":"\\x"}',
      '{"a":"\u0000"}',
      '{"a":01}',
      '{"a":.5}',
      '{"a":+1}',
      '{"a":0x10}',
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
    )
    .map((text) => defect('body.malformed-json', (draft) => withRaw(draft, text))),
)

const emptyBody: fc.Arbitrary<Defect> = fc
  .constantFrom('', ' ', '\n', '\t\r\n')
  .map((text) => defect('body.empty', (draft) => withRaw(draft, text)))

const tooLarge: fc.Arbitrary<Defect> = fc
  .integer({ min: BODY_LIMIT + 1, max: BODY_LIMIT + 64 * 1024 })
  .map((size) => defect('body.too-large', (draft) => withRaw(draft, `{"notes":"${'x'.repeat(size)}"}`)))

/** Number literals JSON.parse turns into Infinity or an unsafe integer, in a numeric field anywhere in the body. */
function numberLiterals(schema: JsonSchema, base: JsonObject): fc.Arbitrary<Defect> | undefined {
  const leaves = numericLeaves(schema, base, [])
  if (leaves.length === 0) return undefined
  const literals = ['1e400', '-1e400', '1E309', '9007199254740993', '123456789012345678901234567890']
  return fc
    .tuple(fc.constantFrom(...leaves), fc.constantFrom(...literals))
    .filter(([leaf, literal]) => !accepts(leaf.schema, JSON.parse(literal)))
    .map(([leaf, literal]) =>
      defect('body.number-literal', (draft) => {
        const body = structuredClone(base)
        const marker = '\u0001number\u0001'
        setAt(body, leaf.path, marker)
        return withRaw(draft, JSON.stringify(body).replace(JSON.stringify(marker), literal))
      }),
    )
}

interface Leaf {
  path: (string | number)[]
  schema: JsonSchema
}

function numericLeaves(schema: JsonSchema, value: Json, path: (string | number)[]): Leaf[] {
  if (schema.type === 'integer' || schema.type === 'number') return [{ path, schema }]
  if (Array.isArray(value) && schema.items) {
    const items = schema.items
    return value.flatMap((item, i) => numericLeaves(items, item, [...path, i]))
  }
  if (!isJsonObject(value)) return []
  return Object.entries(value).flatMap(([name, item]) => {
    const property = schema.properties?.[name]
    return property ? numericLeaves(property, item, [...path, name]) : []
  })
}

/** Sets a value deep inside a body, making the objects on the way if they are missing. */
function setAt(root: Json, path: (string | number)[], value: Json): void {
  let node = root as Record<string | number, Json>
  for (const key of path.slice(0, -1)) {
    const next = node[key]
    node = (typeof next === 'object' && next !== null ? next : (node[key] = {})) as Record<string | number, Json>
  }
  node[path.at(-1) ?? ''] = value
}

// --- e-mail addresses -------------------------------------------------------------------

/**
 * Characters no e-mail address may carry, whatever the documented pattern says: unpaired
 * surrogates (no store can keep them), bidi and zero-width controls, NUL, full-width forms.
 * Checked apart from the schema so that a pattern too lax to exclude them is caught too.
 */
const EMAIL_POISON = ['\ud800', '\udfff', '\udbff', '\u202e', '\u200b', '\u0000', '＠', 'ａ']
/** An e-mail address parameter (the `Email` schema); not one that merely mentions e-mails (e.g. the `customer` prefix). */
const isEmail = (schema: JsonSchema, description = ''): boolean =>
  /e-mail address/.test(`${schema.description ?? ''} ${description}`)

function poisonedEmail(valid: string): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...EMAIL_POISON), fc.nat())
    .map(([char, at]) => valid.slice(0, at % (valid.length + 1)) + char + valid.slice(at % (valid.length + 1)))
}

/** Where a body schema holds e-mail addresses (`email`, `customer.email`, `sales_rep`...). */
function emailFields(schema: JsonSchema, path: string[] = []): string[][] {
  if (schema.type === 'string' && isEmail(schema)) return [path]
  return Object.entries(schema.properties ?? {}).flatMap(([name, property]) => emailFields(property, [...path, name]))
}

function poisonedBodyEmail(schema: JsonSchema): fc.Arbitrary<Defect> | undefined {
  const fields = emailFields(schema)
  if (fields.length === 0) return undefined
  return fc.tuple(fc.constantFrom(...fields), poisonedEmail('someone@test.local')).map(([field, email]) =>
    defect(`body.unicode-${field.join('.')}`, (draft) => {
      const body = objectBody(draft)
      setAt(body, field, email)
      return withBody(draft, body)
    }),
  )
}

// --- headers ----------------------------------------------------------------------------

const badIfMatch: fc.Arbitrary<Defect> = fc
  .constantFrom('W/"1"', '"abc"', '"1", "2"', '"9999999999999999"', '""', '"-1"', '"1.5"', '"１"', '"\u202e1"', 'null', '1 2')
  .map((value) => defect('header.if-match', (draft) => withHeader(draft, 'if-match', value)))

const badIdempotencyKey: fc.Arbitrary<Defect> = fc
  .constantFrom('', ' ', 'a b', 'k'.repeat(256), 'ключ', 'key\t1', 'key\u0000', '\u202ekey')
  .map((value) => defect('header.idempotency-key', (draft) => withHeader(draft, 'idempotency-key', value)))

/** Headers that must not change the outcome: odd request ids, Accept, proxies, upgrade attempts. */
const noiseHeaders: fc.Arbitrary<Record<string, string>> = fc
  .subarray([
    ['x-request-id', '../../etc/passwd'],
    ['accept', 'text/html'],
    ['accept-language', '\u202eevil'],
    ['origin', 'https://evil.example'],
    ['x-forwarded-for', '10.0.0.1, ::1, junk'],
    ['x-http-method-override', 'DELETE'],
    ['upgrade', 'websocket'],
    ['x-request-id', 'a'.repeat(300)],
  ] as [string, string][])
  .map((entries) => Object.fromEntries(entries))

// ---------------------------------------------------------------------------------------
// Operations, their baselines, and the probes built from them

function baselines(world: World): Record<string, Baseline> {
  const [sku, otherSku] = world.skus
  const { open, cancelled } = world.orders
  const path = (name: string, value: string, label: string) =>
    defect(label, (draft) => withPath(draft, name, percentEncode(value)))
  const body = (patch: JsonObject, label: string) => defect(label, (draft) => withBody(draft, { ...objectBody(draft), ...patch }))
  const query = (patch: Record<string, string>, label: string) =>
    defect(label, (draft) => Object.entries(patch).reduce((d, [name, value]) => withQuery(d, name, percentEncode(value)), draft))
  const noSuchOrder = path('id', 'ORD-99999', 'refusal.no-such-order')
  const cancelledOrder = path('id', cancelled, 'refusal.order-cancelled')
  const lifecycle = (body: JsonObject): Baseline => ({ path: { id: open }, body, refusals: [noSuchOrder, cancelledOrder] })
  const noSuchSku = path('sku', 'NOPE-404', 'refusal.no-such-sku')
  return {
    getServiceIndex: {},
    getHealth: {},
    getReadiness: {},
    getJwks: {},
    issueToken: {
      body: { email: TEST_ADMIN.email, password: TEST_ADMIN.password },
      refusals: [
        body({ password: 'wrong-password-for-tests' }, 'refusal.wrong-password'),
        body({ email: 'nobody@test.local' }, 'refusal.unknown-user'),
        body({ email: DISABLED, password: TEST_PASSWORD }, 'refusal.disabled-user'),
      ],
    },
    createUser: {
      body: { email: NEW_USER, name: 'New User', password: 'a-long-password-1', role: 'sales_rep' },
      refusals: [
        body({ email: REP }, 'refusal.email-taken'),
        body({ email: REP.toUpperCase() }, 'refusal.email-taken-other-case'),
      ],
    },
    listUsers: {},
    getUser: { path: { email: REP }, refusals: [path('email', 'nobody@test.local', 'refusal.no-such-user')] },
    updateUser: {
      path: { email: REP },
      body: { name: 'Renamed Rep' },
      refusals: [path('email', 'nobody@test.local', 'refusal.no-such-user')],
    },
    createSku: {
      body: { sku: 'BRG-NEW-1', name: 'New SKU', unit_price: 1000, currency: 'INR', tax_rate_bp: 500 },
      refusals: [body({ sku }, 'refusal.sku-taken'), body({ currency: 'ZZZ' }, 'refusal.unknown-currency')],
    },
    listSkus: {},
    updateSku: { path: { sku }, body: { name: 'Renamed SKU' }, refusals: [noSuchSku] },
    getSku: { path: { sku }, refusals: [noSuchSku] },
    deactivateSku: { path: { sku }, body: { reason: 'barrage' }, refusals: [noSuchSku] },
    reactivateSku: { path: { sku }, body: {}, refusals: [noSuchSku] },
    placeOrder: {
      body: {
        customer: { name: 'ACME Ltd', email: 'buyer@acme.example' },
        items: [
          { sku, quantity: 1 },
          { sku: otherSku, quantity: 2 },
        ],
        currency: 'INR',
        notes: 'barrage',
      },
      refusals: [
        body({ items: [{ sku: 'NO-SUCH-SKU', quantity: 1 }] }, 'refusal.unknown-sku'),
        body(
          {
            items: [
              { sku, quantity: 1 },
              { sku, quantity: 2 },
            ],
          },
          'refusal.repeated-sku',
        ),
        body({ currency: 'USD' }, 'refusal.other-currency'),
        body({ sales_rep: 'ghost@test.local' }, 'refusal.unknown-sales-rep'),
      ],
    },
    listOrders: {},
    confirmOrder: lifecycle({}),
    shipOrder: lifecycle({ carrier: 'DHL', tracking_number: 'TRK-1' }),
    deliverOrder: lifecycle({}),
    cancelOrder: lifecycle({ reason: 'barrage' }),
    getOrder: {
      path: { id: open },
      refusals: [noSuchOrder, query({ as_of: '2000-01-01T00:00:00Z' }, 'refusal.before-the-order')],
    },
    getOrderHistory: { path: { id: open }, refusals: [noSuchOrder] },
    getRevenueSummaries: {
      query: { from: '2026-01-01', to: '2026-02-01' },
      refusals: [
        query({ currency: 'XYZ' }, 'refusal.unknown-currency'),
        query({ tz: 'Mars/Olympus' }, 'refusal.unknown-zone'),
        query({ from: '2020-01-01', to: '2026-01-01', granularity: 'hour' }, 'refusal.hourly-over-366-days'),
      ],
    },
    listProjections: {},
    rebuildProjection: { path: { name: 'orders' }, body: {} },
    listJobs: {},
    runJob: { path: { name: 'realtime.trim' }, body: {}, refusals: [path('name', 'reports.rebuild', 'refusal.no-such-job')] },
    eventsWebSocket: { query: { token: world.tokens.admin } },
  }
}

/** The WebSocket handshake route (token in the query); a plain GET is never an upgrade. Used as is if the document lacks it. */
const WEBSOCKET: Operation = {
  id: 'eventsWebSocket',
  method: 'GET',
  path: '/api/events/ws',
  parameters: [
    { name: 'token', in: 'query', schema: { type: 'string', maxLength: 8192 } },
    { name: 'after', in: 'query', schema: { type: 'integer', minimum: 0 } },
  ],
  pathMethods: ['GET'],
  auth: 'query-token',
}

interface OpenApiOperation {
  operationId?: string
  parameters?: Parameter[]
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> }
}

async function documentedOperations(app: FastifyInstance): Promise<Operation[]> {
  const response = await app.inject({ url: '/docs/json' })
  if (response.statusCode !== 200) throw new Error(`GET /docs/json answered ${response.statusCode}`)
  const doc = response.json<{ paths: Record<string, Record<string, OpenApiOperation>> }>()
  const operations = Object.entries(doc.paths).flatMap(([path, entries]) => {
    // Path items may also hold `parameters`, `summary`...: only HTTP methods are operations.
    const operations = Object.entries(entries).filter(([method]) => OPENAPI_METHODS.has(method.toUpperCase()))
    const methods = operations.map(([method]) => method.toUpperCase())
    return operations.map(([method, op]): Operation => {
      if (!op.operationId) throw new Error(`${method} ${path} has no operationId`)
      const body = op.requestBody?.content?.[JSON_TYPE]?.schema
      return {
        id: op.operationId,
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        ...(body ? { body } : {}),
        pathMethods: methods,
        auth:
          op.operationId === WEBSOCKET.id
            ? WEBSOCKET.auth
            : !path.startsWith('/api/') || PUBLIC_API_OPERATIONS.has(op.operationId)
              ? 'public'
              : 'bearer',
      }
    })
  })
  return Object.hasOwn(doc.paths, WEBSOCKET.path) ? operations : [...operations, WEBSOCKET]
}

function baseDraft(op: Operation, base: Baseline): Draft {
  return {
    method: op.method,
    path: Object.fromEntries(Object.entries(base.path ?? {}).map(([name, value]) => [name, percentEncode(value)])),
    query: Object.entries(base.query ?? {}).map(([name, value]) => [name, percentEncode(value)]),
    headers: {},
    ...(base.body ? { body: base.body, contentType: JSON_TYPE } : {}),
  }
}

function render(op: Operation, draft: Draft): Sent {
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = draft.path[name]
    if (value === undefined) throw new Error(`${op.id}: no baseline value for path parameter ${name}`)
    return value
  })
  const query = draft.query.map(([name, value]) => `${name}=${value}`).join('&')
  const headers = { ...draft.headers }
  if (draft.contentType !== undefined) headers['content-type'] = draft.contentType
  const payload = draft.raw ?? (draft.body === undefined ? undefined : JSON.stringify(draft.body))
  return {
    method: draft.method,
    url: query === '' ? path : `${path}?${query}`,
    headers,
    ...(payload === undefined ? {} : { payload }),
  }
}

/** Every way this operation's requests can be broken (each one enough for a refusal). */
function defectsFor(op: Operation, base: Baseline, world: World): fc.MaybeWeightedArbitrary<Defect>[] {
  const defects: fc.MaybeWeightedArbitrary<Defect>[] = universalDefects(op)
  if (op.auth === 'bearer') defects.push(badAuthorization(world))
  if (op.auth === 'query-token') defects.push(badQueryToken(world), fc.constant(defect('ws.plain-get', (draft) => draft)))

  const query = op.parameters.filter((param) => param.in === 'query')
  if (query.length > 0) {
    defects.push(unknownQueryName(query), repeatedQueryKey(query, base))
    for (const param of query.filter((p) => isEmail(p.schema, p.description))) {
      defects.push(
        poisonedEmail(REP).map((email) =>
          defect(`query.unicode-${param.name}`, (draft) => withQuery(draft, param.name, percentEncode(email))),
        ),
      )
    }
    defects.push({ arbitrary: fc.constantFrom(...query).chain((param) => badQueryValue(param, world)), weight: query.length })
    const dates = query.filter(isDateParameter)
    if (dates.length > 0) defects.push(impossibleDates(dates))
    if (dates.some((param) => param.name === 'from') && dates.some((param) => param.name === 'to'))
      defects.push(fc.constant(fromAfterTo))
  }

  for (const param of op.parameters.filter((p) => p.in === 'path')) {
    const valid = base.path?.[param.name]
    if (valid === undefined) throw new Error(`${op.id}: no baseline value for path parameter ${param.name}`)
    defects.push(badPathValue(param, valid), badEscape(param, valid), overLongParam(param, valid))
    if (isEmail(param.schema, param.description)) {
      defects.push(
        poisonedEmail(valid).map((email) =>
          defect(`path.unicode-${param.name}`, (draft) => withPath(draft, param.name, percentEncode(email))),
        ),
      )
    }
  }

  if (op.body) {
    const body = base.body ?? {}
    defects.push(...bodyDefects(op.body, body))
    const literals = numberLiterals(op.body, body)
    if (literals) defects.push(literals)
    const emails = poisonedBodyEmail(op.body)
    if (emails) defects.push(emails)
  }
  if (IF_MATCH_OPERATIONS.has(op.id)) defects.push(badIfMatch)
  if (IDEMPOTENT_OPERATIONS.has(op.id)) defects.push(badIdempotencyKey)
  if (base.refusals && base.refusals.length > 0) defects.push(fc.constantFrom(...base.refusals))
  return defects
}

/** Valid credentials for the caller (so validation is reached), mostly an admin. */
function callers(op: Operation, world: World): fc.Arbitrary<Record<string, string>> {
  const { admin, rep, auditor } = world.tokens
  if (op.auth === 'bearer') {
    return fc.oneof(
      { arbitrary: fc.constant(bearer(admin)), weight: 4 },
      { arbitrary: fc.constantFrom(bearer(rep), bearer(auditor)), weight: 1 },
    )
  }
  return fc.constantFrom({}, bearer(admin), { authorization: 'Bearer junk' })
}

/** Mostly one defect per request, so that each reaches the check it aims at; sometimes two or three at once. */
function probes(op: Operation, base: Baseline, world: World): fc.Arbitrary<Probe> {
  const start = baseDraft(op, base)
  const oneDefect = fc.oneof(...defectsFor(op, base, world))
  const defects = fc.oneof(
    { arbitrary: fc.array(oneDefect, { minLength: 1, maxLength: 1 }), weight: 3 },
    { arbitrary: fc.array(oneDefect, { minLength: 2, maxLength: 3 }), weight: 1 },
  )
  return fc.tuple(callers(op, world), noiseHeaders, defects).map(([caller, noise, defects]) => {
    const draft = defects.reduce((d, x) => x.apply(d), { ...start, headers: { ...noise, ...caller } })
    return { op: op.id, defects: defects.map((x) => x.label), request: render(op, draft) }
  })
}

// ---------------------------------------------------------------------------------------
// The world the barrage runs against, and its snapshot

function decodeJwtPart(part: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}

const jwtPart = (value: object): string => base64url(JSON.stringify(value))

function signRs256(header: object, claims: object, key: string | KeyObject): string {
  const unsigned = `${jwtPart(header)}.${jwtPart(claims)}`
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(key).toString('base64url')}`
}

/** Tokens that must be refused: forged (other key, `none`, HS256 with the public key), tampered, or signed right but with bad claims. */
async function badTokens(app: FastifyInstance, tokens: World['tokens'], disabled: string): Promise<[string, string][]> {
  const [headerPart, claimsPart] = tokens.admin.split('.')
  const header = decodeJwtPart(headerPart)
  const claims = decodeJwtPart(claimsPart)
  const [repHeader, repClaims, repSignature] = tokens.rep.split('.')
  const now = Math.floor(Date.now() / 1000)
  const realKey = app.keyRing.signing.privateKeyPem
  const signed = (changes: Record<string, unknown>, drop?: string) => {
    const changed: Record<string, unknown> = { ...claims, ...changes }
    return signRs256(header, drop === undefined ? changed : omit(changed, drop), realKey)
  }
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  const jwks = (await app.inject({ url: '/.well-known/jwks.json' })).json<{ keys: Record<string, unknown>[] }>()
  const publicPem = createPublicKey({ key: jwks.keys[0] ?? {}, format: 'jwk' }).export({ type: 'spki', format: 'pem' })
  const hsUnsigned = `${jwtPart({ ...header, alg: 'HS256' })}.${jwtPart(claims)}`
  return [
    ['other-key', signRs256(header, claims, otherKey)],
    ['alg-none', `${jwtPart({ alg: 'none', typ: 'JWT' })}.${jwtPart(claims)}.`],
    ['hs256-with-public-key', `${hsUnsigned}.${createHmac('sha256', publicPem).update(hsUnsigned).digest('base64url')}`],
    ['tampered-role', `${repHeader ?? ''}.${jwtPart({ ...decodeJwtPart(repClaims), role: 'admin' })}.${repSignature ?? ''}`],
    ['unknown-kid', signRs256({ ...header, kid: 'no-such-key' }, claims, realKey)],
    ['expired', signed({ iat: now - 7200, exp: now - 3600 })],
    ['not-yet-valid', signed({ nbf: now + 3600 })],
    ['wrong-issuer', signed({ iss: 'evil' })],
    ['wrong-audience', signed({ aud: 'evil' })],
    ['unknown-role', signed({ role: 'superuser' })],
    ['no-role', signed({}, 'role')],
    ['no-expiry', signed({}, 'exp')],
    ['ghost-user', signed({ sub: 'ghost@test.local' })],
    ['role-escalation', signed({ sub: REP })],
    ['stale-generation', signed({ gen: Number(claims.gen ?? 0) + 1 })],
    ['disabled-user', disabled],
    ['truncated-signature', tokens.admin.slice(0, -8)],
    ['garbage', 'a.b.c'],
    ['huge', 'a'.repeat(9000)],
  ]
}

/** Admin, sales rep and auditor tokens, a disabled user, two SKUs and two orders (one cancelled), made over HTTP. */
async function seedWorld(app: FastifyInstance): Promise<World> {
  const tokens = {
    admin: await tokenFor(app, 'admin', TEST_ADMIN.email),
    rep: await tokenFor(app, 'sales_rep', REP),
    auditor: await tokenFor(app, 'auditor', AUDITOR),
  }
  const admin = bearer(tokens.admin)
  const disabled = await tokenFor(app, 'sales_rep', DISABLED)
  await expectStatus(app, 200, { method: 'PATCH', url: `/api/users/${DISABLED}`, headers: admin, payload: { disabled: true } })
  await expectStatus(app, 401, { url: '/api/skus', headers: bearer(disabled) })

  const skus: [string, string] = ['BRG-WIDGET', 'BRG-GADGET']
  for (const [i, sku] of skus.entries()) {
    const payload = { sku, name: `Barrage ${sku}`, unit_price: 100_000 / (i + 1), currency: 'INR', tax_rate_bp: 1800 }
    await expectStatus(app, 201, { method: 'POST', url: '/api/skus', headers: admin, payload })
  }
  const place = async () => {
    const payload = { customer: { name: 'ACME Ltd', email: 'buyer@acme.example' }, items: [{ sku: skus[0], quantity: 1 }] }
    const response = await expectStatus(app, 201, { method: 'POST', url: '/api/orders', headers: bearer(tokens.rep), payload })
    return response.json<{ order_id: string }>().order_id
  }
  const open = await place()
  const cancelled = await place()
  await expectStatus(app, 200, {
    method: 'POST',
    url: `/api/orders/${cancelled}/cancel`,
    headers: admin,
    payload: { reason: 'seed' },
  })
  // Read models caught up, so reads of the seeded SKUs and orders find them.
  const head = await app.eventStore.headPosition()
  await expectStatus(app, 200, { url: `/api/skus?min_position=${head}`, headers: admin })
  await expectStatus(app, 200, { url: `/api/orders?min_position=${head}`, headers: admin })
  return { tokens, badTokens: await badTokens(app, tokens, disabled), skus, orders: { open, cancelled } }
}

async function expectStatus(app: FastifyInstance, status: number, request: InjectOptions) {
  const response = await app.inject(request)
  if (response.statusCode !== status) throw new Error(`seeding: expected ${status}, got ${response.statusCode} ${response.body}`)
  return response
}

interface State {
  head: number
  users: unknown[]
  accounts: unknown[]
  skus: unknown[]
  orders: unknown[]
  objectPrototype: string[]
}

/** Users (also as stored: hashes, token generations), SKUs, orders, the head position, and Object.prototype. */
async function snapshot(app: FastifyInstance, admin: string): Promise<State> {
  const head = await app.eventStore.headPosition()
  const users = await everyPage(app, admin, '/api/users')
  return {
    head,
    users,
    accounts: await Promise.all(users.map((user) => app.users.find((user as { email: string }).email))),
    skus: await everyPage(app, admin, `/api/skus?min_position=${head}`),
    orders: await everyPage(app, admin, `/api/orders?min_position=${head}`),
    objectPrototype: Object.getOwnPropertyNames(Object.prototype).sort(),
  }
}

interface Page {
  items: unknown[]
  next_cursor: string | null
}

async function everyPage(app: FastifyInstance, token: string, url: string): Promise<unknown[]> {
  const items: unknown[] = []
  let cursor: string | null = null
  do {
    const page: string = `${url}${url.includes('?') ? '&' : '?'}limit=200${cursor === null ? '' : `&cursor=${cursor}`}`
    const response = await app.inject({ url: page, headers: bearer(token) })
    if (response.statusCode !== 200) throw new Error(`snapshot: GET ${page} answered ${response.statusCode} ${response.body}`)
    const body: Page = response.json<Page>()
    items.push(...body.items)
    cursor = body.next_cursor
  } while (cursor !== null)
  return items
}

// ---------------------------------------------------------------------------------------
// Verdicts and the report

interface Failure {
  probe: Probe
  verdict: string
  status: number
  code: string
  body: string
}

/** Why an answer is wrong for a request that must be refused, or undefined if it is right. */
function verdictOf(status: number, contentType: string, body: string): { verdict?: string; code: string } {
  let problem: { code?: unknown; status?: unknown } | undefined
  try {
    problem = JSON.parse(body) as typeof problem
  } catch {
    problem = undefined
  }
  const code = typeof problem?.code === 'string' ? problem.code : `(${contentType || 'no content-type'})`
  if (status >= 500) return { verdict: 'server error', code }
  if (status < 400) return { verdict: 'not refused', code }
  if (!contentType.startsWith('application/problem+json')) return { verdict: 'not problem+json', code }
  if (typeof problem?.code !== 'string' || problem.status !== status) return { verdict: 'malformed problem', code }
  return { code }
}

const clip = (text: string, max = 300): string => (text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text)

function describeRequest({ method, url, headers, payload }: Sent): string {
  const shown = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, clip(value, 60)]))
  const body = payload === undefined ? '' : `\n      body: ${JSON.stringify(clip(payload.toString('utf8')))}`
  return `${method} ${clip(url)}\n      headers: ${JSON.stringify(shown)}${body}`
}

/** Failures grouped by operation, verdict, status and code: their defects, one example in full, a few more in brief. */
function report(failures: Failure[]): string {
  const groups = new Map<string, Failure[]>()
  for (const failure of failures) {
    const key = `${failure.probe.op}: ${failure.verdict}, ${failure.status} ${failure.code}`
    groups.set(key, [...(groups.get(key) ?? []), failure])
  }
  return [...groups.entries()]
    .map(([key, group]) => {
      const labels = new Map<string, number>()
      for (const failure of group) for (const label of failure.probe.defects) labels.set(label, (labels.get(label) ?? 0) + 1)
      const [example, ...others] = group
      const defects = [...labels.entries()].map(([label, n]) => `${label} ×${n}`).join(', ')
      const more = [...new Set(others.map(({ probe }) => `${probe.request.method} ${clip(probe.request.url, 160)}`))].slice(0, 8)
      return [
        `- ${key} (${group.length} requests)`,
        `    defects: ${defects}`,
        example
          ? `    e.g. ${describeRequest(example.probe.request)}\n      answer: ${example.status} ${clip(example.body)}`
          : '',
        ...more.map((request) => `    also ${request}`),
      ].join('\n')
    })
    .join('\n')
}

// ---------------------------------------------------------------------------------------

describe('security barrage: generated malformed requests over every documented operation', () => {
  let app: FastifyInstance
  let world: World
  let operations: Operation[]
  let bases: Record<string, Baseline>

  beforeAll(async () => {
    // Rate limits raised so that validation, not a 429, answers the barrage.
    ;({ app } = await buildTestApp({ env: { API_RATE_LIMIT: '1000000/1h', LOGIN_RATE_LIMIT: '1000000/1m' } }))
    world = await seedWorld(app)
    operations = await documentedOperations(app)
    bases = baselines(world)
  })
  afterAll(async () => {
    await app.close()
  })

  const baselineOf = (op: Operation): Baseline => {
    const base = bases[op.id]
    if (!base) throw new Error(`no baseline for ${op.method} ${op.path} (${op.id}): add one, so the barrage covers it`)
    return base
  }

  it('starts from valid requests: baselines match the document, and read-only ones answer 200', async () => {
    expect(operations.length).toBeGreaterThanOrEqual(20)
    for (const op of operations) {
      const base = baselineOf(op)
      if (op.body) expect(accepts(op.body, base.body), `${op.id} baseline body`).toBe(true)
      for (const param of op.parameters.filter((p) => p.in === 'path')) {
        expect(accepts(param.schema, base.path?.[param.name]), `${op.id} baseline ${param.name}`).toBe(true)
      }
      if (op.method !== 'GET' || op.auth === 'query-token') continue
      const draft = baseDraft(op, base)
      const response = await app.inject(render(op, { ...draft, headers: bearer(world.tokens.admin) }))
      expect(response.statusCode, `${op.id} baseline: ${response.body}`).toBe(200)
    }
  })

  it(
    'answers every malformed request with a 4xx problem, and refused requests change nothing',
    { timeout: 120_000 },
    async () => {
      console.log(`barrage seed ${SEED} (replay: BARRAGE_SEED=${SEED} npx vitest run test/security/barrage.test.ts)`)
      const before = await snapshot(app, world.tokens.admin)
      const started = performance.now()
      const failures: Failure[] = []
      const perOperation = new Map<string, number>()
      const statuses = new Map<number, number>()
      const defectKinds = new Set<string>()

      for (const [index, op] of operations.entries()) {
        const sample = fc.sample(probes(op, baselineOf(op), world), { seed: SEED + index, numRuns: REQUESTS_PER_OPERATION })
        for (const probe of sample) {
          const response = await app.inject(probe.request)
          const { verdict, code } = verdictOf(response.statusCode, String(response.headers['content-type'] ?? ''), response.body)
          perOperation.set(op.id, (perOperation.get(op.id) ?? 0) + 1)
          for (const label of probe.defects) defectKinds.add(label)
          statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1)
          if (verdict) failures.push({ probe, verdict, status: response.statusCode, code, body: response.body })
        }
      }

      const after = await snapshot(app, world.tokens.admin)
      const sent = [...perOperation.values()].reduce((a, b) => a + b, 0)
      const seconds = ((performance.now() - started) / 1000).toFixed(1)
      const histogram = [...statuses.entries()].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`)
      console.log(
        `barrage: ${sent} requests over ${perOperation.size} operations (${defectKinds.size} kinds of defect) in ${seconds} s;`,
        `statuses ${histogram.join(' ')}`,
      )

      expect(sent).toBeGreaterThanOrEqual(MIN_REQUESTS)
      expect([...perOperation.keys()].sort()).toEqual(operations.map((op) => op.id).sort())
      expect.soft(failures.length, `wrong answers (seed ${SEED}):\n${report(failures)}`).toBe(0)
      expect(after, `refused requests changed the state (seed ${SEED})`).toEqual(before)
    },
  )
})

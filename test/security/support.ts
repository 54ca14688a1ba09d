import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import type { Role } from '../../src/auth/abilities.js'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { createSku } from '../support/fixtures.js'
import { TEST_PASSWORD, bearer, tokenFor } from '../support/auth.js'

/**
 * Shared pieces of the OWASP API Security Top 10 (2023) suite: one file per row
 * (`api1-bola.test.ts` …), each case one exact request and the problem `code` it must get.
 */

/** An RFC 9457 problem document as this service writes it. */
export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  instance: string
  code: string
  errors?: { path: string; message: string }[]
  [extension: string]: unknown
}

export type Method = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE' | 'OPTIONS' | 'TRACE'

/** One exact request of a case table. */
export interface Call {
  method: Method
  url: string
  headers?: Record<string, string>
  payload?: string | object
}

/** The callers the suites act as: each a user of that role with a fresh token. */
export type Caller = 'admin' | 'repA' | 'repB' | 'auditor' | 'anonymous'

export const USERS = {
  admin: { email: TEST_ADMIN.email, role: 'admin' },
  repA: { email: 'rep-a@corp.example', role: 'sales_rep' },
  repB: { email: 'rep-b@corp.example', role: 'sales_rep' },
  auditor: { email: 'auditor@corp.example', role: 'auditor' },
} as const satisfies Record<Exclude<Caller, 'anonymous'>, { email: string; role: Role }>

/** Every user's password (the test helper's), the admin's excepted. */
export const PASSWORD = TEST_PASSWORD

/** Creates every caller of `USERS` (through the user store) and returns their Authorization headers. */
export async function callers(app: FastifyInstance): Promise<Record<Caller, Record<string, string>>> {
  const headers = { anonymous: {} } as Record<Caller, Record<string, string>>
  for (const [caller, user] of Object.entries(USERS) as [Exclude<Caller, 'anonymous'>, (typeof USERS)['admin']][]) {
    headers[caller] = bearer(await tokenFor(app, user.role, user.email))
  }
  return headers
}

/**
 * A fresh embedded app (order numbers start at ORD-00001) with every caller of `USERS`
 * and the SKU WIDGET-1 (its details overridable), as most of the suite starts.
 */
export async function appWithCallers(
  sku: Parameters<typeof createSku>[1] = {},
): Promise<{ app: FastifyInstance; as: Record<Caller, Record<string, string>> }> {
  const { app } = await buildTestApp()
  const as = await callers(app)
  await createSku(app, { sku: 'WIDGET-1', ...sku })
  return { app, as }
}

/** Sends one case's request, as `caller` (its Authorization header first, the case's own headers over it). */
export function send(app: FastifyInstance, call: Call, auth: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const options: InjectOptions = {
    method: call.method,
    url: call.url,
    headers: { ...auth, ...call.headers },
    ...(call.payload === undefined ? {} : { payload: call.payload }),
  }
  return app.inject(options)
}

/**
 * Asserts an RFC 9457 problem: the status, the `code`, the problem media type, and the
 * document's own `status`/`detail`. Returns the problem for further checks.
 */
export function expectProblem(response: LightMyRequestResponse, status: number, code: string): Problem {
  let body: Problem | undefined
  try {
    body = response.json<Problem>()
  } catch {
    body = undefined
  }
  expect({ status: response.statusCode, code: body?.code }, response.body.slice(0, 500)).toEqual({ status, code })
  expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8')
  expect(body).toMatchObject({ status, code, detail: expect.any(String) as string })
  return body as Problem
}

/** The `Bearer` challenge every 401 carries. */
export const BEARER_CHALLENGE = 'Bearer realm="sales-orders"'

/** A valid order body for `sku` (prices never come from the client). */
export const orderBody = (sku: string, quantity = 1) => ({ customer: { name: 'ACME Ltd' }, items: [{ sku, quantity }] })

/** The security headers every response carries (helmet's defaults, as test/unit/security-headers.test.ts pins them). */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
}

/** The headers of `response` among the security headers (and `x-powered-by`, which must be absent). */
export function securityHeadersOf(response: LightMyRequestResponse): Record<string, unknown> {
  const names = [...Object.keys(SECURITY_HEADERS), 'x-powered-by']
  return Object.fromEntries(Object.entries(response.headers).filter(([name]) => names.includes(name.toLowerCase())))
}

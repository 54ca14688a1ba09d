import { connect } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordHelmetWrites } from '../../src/api/plugins/security-headers.js'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { bearer, ensureSalesRep, tokenFor } from '../support/auth.js'
import { createSku } from '../support/fixtures.js'

// The headers as @fastify/helmet 13 (helmet 8 defaults) wrote them on every request before
// they were computed once at start: captured from the running service, names as helmet
// spells them, in helmet's order.
const HELMET_LINES = [
  "Content-Security-Policy: default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests",
  'Cross-Origin-Opener-Policy: same-origin',
  'Cross-Origin-Resource-Policy: same-origin',
  'Origin-Agent-Cluster: ?1',
  'Referrer-Policy: no-referrer',
  'Strict-Transport-Security: max-age=31536000; includeSubDomains',
  'X-Content-Type-Options: nosniff',
  'X-DNS-Prefetch-Control: off',
  'X-Download-Options: noopen',
  'X-Frame-Options: SAMEORIGIN',
  'X-Permitted-Cross-Domain-Policies: none',
  'X-XSS-Protection: 0',
]
const EXPECTED: Record<string, string> = Object.fromEntries(
  HELMET_LINES.map((line) => {
    const at = line.indexOf(': ')
    return [line.slice(0, at).toLowerCase(), line.slice(at + 2)]
  }),
)
// Swagger UI (staticCSP) replaces helmet's CSP with its own on /docs and everything under it.
const DOCS_EXPECTED = {
  ...EXPECTED,
  'content-security-policy':
    "default-src 'self'; base-uri 'self'; font-src 'self' https: data:; frame-ancestors 'self'; img-src 'self' data: validator.swagger.io; object-src 'none'; script-src 'self' ; script-src-attr 'none'; style-src 'self' https: ; upgrade-insecure-requests;",
}
const SECURITY_HEADERS = [...Object.keys(EXPECTED), 'x-powered-by']

/** The security headers among `headers` (any that helmet sets or removes). */
const securityHeaders = (headers: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => SECURITY_HEADERS.includes(name.toLowerCase())))

/** The status line and header lines of a raw HTTP exchange on 127.0.0.1. */
function rawExchange(port: number, request: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
      const end = received.indexOf('\r\n\r\n')
      if (end < 0) return
      socket.destroy()
      resolve(received.slice(0, end).split('\r\n'))
    })
    socket.on('error', reject)
    socket.write(request)
  })
}

/** A 429 from an app whose API allows one request a minute. */
async function rateLimited() {
  const { app } = await buildTestApp({ env: { API_RATE_LIMIT: '1/1m' } })
  try {
    await app.inject({ url: '/api/users' })
    return await app.inject({ url: '/api/users' })
  } finally {
    await app.close()
  }
}

describe('security headers', () => {
  let app: FastifyInstance
  let admin: Record<string, string>
  let sku: string

  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    admin = bearer(await tokenFor(app, 'admin', TEST_ADMIN.email))
    sku = (await createSku(app)).sku
  })
  afterAll(async () => {
    await app.close()
  })

  it('are the same on successes, problems (400, 401, 404, 415, 429) and health checks', async () => {
    const responses = {
      health: await app.inject({ url: '/health' }),
      ready: await app.inject({ url: '/health/ready' }),
      list: await app.inject({ url: '/api/orders', headers: admin }),
      place: await app.inject({
        method: 'POST',
        url: '/api/orders',
        headers: admin,
        payload: { customer: { name: 'ACME Ltd' }, items: [{ sku, quantity: 1 }], sales_rep: await ensureSalesRep(app) },
      }),
      invalid: await app.inject({ method: 'POST', url: '/api/orders', headers: admin, payload: { items: [] } }),
      unsupported: await app.inject({
        method: 'POST',
        url: '/api/orders',
        headers: { ...admin, 'content-type': 'text/plain' },
        payload: 'hi',
      }),
      notFound: await app.inject({ url: '/no/such/route' }),
      unauthenticated: await app.inject({ url: '/api/users' }),
      limited: await rateLimited(),
    }
    expect(Object.fromEntries(Object.entries(responses).map(([name, r]) => [name, r.statusCode]))).toEqual({
      health: 200,
      ready: 200,
      list: 200,
      place: 201,
      invalid: 400,
      unsupported: 415,
      notFound: 404,
      unauthenticated: 401,
      limited: 429,
    })
    for (const [name, response] of Object.entries(responses)) {
      expect({ name, headers: securityHeaders(response.headers) }).toEqual({ name, headers: EXPECTED })
    }
  })

  it("are Swagger UI's on /docs (its own CSP, helmet's other headers)", async () => {
    for (const url of ['/docs', '/docs/', '/docs/json', '/docs/static/index.html', '/docs/static/swagger-initializer.js']) {
      const response = await app.inject({ url })
      expect(response.statusCode).toBeLessThan(400)
      expect({ url, headers: securityHeaders(response.headers) }).toEqual({ url, headers: DOCS_EXPECTED })
    }
  })

  it('are on refused WebSocket upgrades, spelled and ordered as helmet writes them', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as { port: number }
    const upgrade = (url: string) =>
      rawExchange(
        port,
        `GET ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      )
    for (const [url, status] of [
      ['/api/events/ws?token=not-a-token', 'HTTP/1.1 401 Unauthorized'],
      ['/no/such/socket', 'HTTP/1.1 404 Not Found'],
    ] as const) {
      const [statusLine, ...lines] = await upgrade(url)
      expect(statusLine).toBe(status)
      expect(lines.slice(0, HELMET_LINES.length)).toEqual(HELMET_LINES)
    }
  })

  it('are refused at start when helmet would write different headers per request', async () => {
    await expect(recordHelmetWrites({ enableCSPNonces: true })).rejects.toThrow(/same headers on every response/)
  })
})

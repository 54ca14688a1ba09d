import type { ServerResponse } from 'node:http'
import cors from '@fastify/cors'
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet'
import Fastify from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** Writes the security headers on a response that bypasses the request hooks (router errors). */
    applySecurityHeaders(response: ServerResponse): void
  }
}

/** Helmet's options: the one place the security headers are configured (helmet's defaults). */
const HELMET_OPTIONS: FastifyHelmetOptions = {}

/** One header write helmet makes on a response: a value set, or (no value) a header removed. */
type HeaderWrite = readonly [name: string, value?: string | number | readonly string[]]

/**
 * Helmet's security headers on every response; CORS only when CORS_ORIGINS is set.
 *
 * @fastify/helmet rebuilds helmet's middleware (and re-serialises the CSP) on every request.
 * The headers are the same every time, so they are recorded once at start from
 * @fastify/helmet itself and replayed with the same raw writes, in the same `onRequest`
 * position — same names, values, order and responses covered (a Swagger UI route still
 * replaces the CSP with its own when it sends). Hazard: per-request options (CSP nonces,
 * directive functions) cannot be precomputed; the recording refuses them at start. Route
 * `helmet` options and `reply.helmet()` do not exist here.
 */
export default fp(
  async (app) => {
    const writes = await recordHelmetWrites(HELMET_OPTIONS)
    app.addHook('onRoute', (route) => {
      if (route.helmet !== undefined) throw new Error(`${route.url}: per-route helmet options are not supported`)
    })
    const apply = (response: ServerResponse) => {
      for (const [name, value] of writes) {
        if (value === undefined) response.removeHeader(name)
        else response.setHeader(name, value)
      }
    }
    app.decorate('applySecurityHeaders', apply)
    app.addHook('onRequest', (_request, reply, done) => {
      apply(reply.raw)
      done()
    })

    const { corsOrigins } = app.config
    if (corsOrigins.length === 0) return
    await app.register(cors, {
      origin: corsOrigins,
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'X-Request-Id'],
      exposedHeaders: [
        'Location',
        'ETag',
        'X-Request-Id',
        'X-Read-Model-Position',
        'Retry-After',
        'RateLimit-Limit',
        'RateLimit-Remaining',
        'RateLimit-Reset',
      ],
    })
  },
  { name: 'security-headers', dependencies: ['config'] },
)

/**
 * The raw header writes @fastify/helmet makes on a response with `options`, recorded on a
 * throw-away instance; fails if two responses get different writes (per-request options).
 */
export async function recordHelmetWrites(options: FastifyHelmetOptions): Promise<readonly HeaderWrite[]> {
  const probe = Fastify()
  const recorded: HeaderWrite[][] = []
  let writes: HeaderWrite[] = []
  try {
    // Registered before helmet, so it runs first and sees every write helmet makes.
    probe.addHook('onRequest', (_request, reply, done) => {
      const response = reply.raw
      const current: HeaderWrite[] = (writes = [])
      const setHeader = response.setHeader.bind(response)
      const removeHeader = response.removeHeader.bind(response)
      response.setHeader = (name, value) => {
        current.push([name, value])
        return setHeader(name, value)
      }
      response.removeHeader = (name) => {
        current.push([name])
        removeHeader(name)
      }
      done()
    })
    await probe.register(helmet, { ...options, global: true })
    // The handler runs after every onRequest hook: what was written by then is helmet's
    // (sending the reply writes more headers through the same methods).
    probe.get('/', () => {
      recorded.push([...writes])
      return ''
    })
    for (let i = 0; i < 2; i++) await probe.inject({ url: '/' })
  } finally {
    await probe.close()
  }
  const [first, second] = recorded.map((each) => JSON.stringify(each))
  if (first === undefined || first !== second) throw new Error('helmet did not write the same headers on every response')
  return recorded[0] ?? []
}

import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import Negotiator from 'negotiator'

/**
 * The built dashboard (`web/`, built by `npm run build` into dist/web): the same folder from
 * src/api/plugins (tsx, tests) and from dist/api/plugins (npm start, the image).
 */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../../dist/web/', import.meta.url))

/** What `GET /` answers in this order of preference when the client says nothing (any type, or no Accept): the JSON index. */
const MEDIA_TYPES = ['application/json', 'text/html']

/** True when the request prefers HTML to JSON: a browser opening the address. */
export function wantsHtml(request: FastifyRequest): boolean {
  return new Negotiator(request.raw).mediaType(MEDIA_TYPES) === 'text/html'
}

/**
 * The admin dashboard at `/`: a browser (`Accept: text/html` preferred to JSON) gets its page,
 * an API client the JSON service index of the `/` route (routes/home.ts), which stays the one
 * documented operation there. Its files are under `/assets/` (hashed names: cached for good).
 * The page loads only same-origin scripts and styles, so the service's CSP applies unchanged.
 * Not built (e.g. `npm run dev` on a fresh clone): `/` stays the JSON index and a warning says why.
 */
declare module 'fastify' {
  interface FastifyInstance {
    /** The dashboard's page, which `GET /` gives a browser (routes/home.ts); null when it is not built. */
    dashboardPage: string | null
  }
}

export default fp(
  async (app) => {
    let page: string
    try {
      page = readFileSync(`${DASHBOARD_DIR}index.html`, 'utf8')
    } catch {
      app.log.warn({ dir: DASHBOARD_DIR }, 'the dashboard is not built (npm run build): GET / answers the JSON index only')
      app.decorate('dashboardPage', null)
      return
    }
    app.decorate('dashboardPage', page)
    await app.register(fastifyStatic, {
      root: `${DASHBOARD_DIR}assets`,
      prefix: '/assets/',
      index: false,
      decorateReply: false,
      immutable: true,
      maxAge: '365d',
    })
  },
  { name: 'dashboard', dependencies: ['security-headers'] },
)

import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'
import { createSku, orderIn } from '../support/fixtures.js'

interface Problem {
  status: number
  code: string
  detail: string
  errors?: { path: string; message: string }[]
}

/**
 * One set of query rules on every route that reads: an unknown parameter, an impossible date,
 * an empty or backwards range and an offset whose `+` arrived as a space are refused the same
 * way everywhere — 400 `REQUEST.VALIDATION`, naming the parameter — and change nothing.
 */
describe('query rules, the same on every list, detail, history and report route', () => {
  let app: FastifyInstance
  let admin: Record<string, string>
  let orderId: string
  let position: number
  let sku: string

  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    admin = bearer(await tokenFor(app, 'admin', TEST_ADMIN.email))
    sku = (await createSku(app)).sku
    ;({ order_id: orderId, position } = await orderIn(app, 'confirmed', { skus: [sku] }))
  })
  afterAll(async () => {
    await app.close()
  })

  const get = async (url: string) => {
    const response = await app.inject({ url, headers: admin })
    return { status: response.statusCode, body: response.json<Problem>() }
  }
  const expectRefused = async (url: string, path: string, message?: RegExp) => {
    const { status, body } = await get(url)
    expect([status, body.code], url).toEqual([400, 'REQUEST.VALIDATION'])
    const error = body.errors?.find((e) => e.path === path)
    expect(error, `${url}: ${JSON.stringify(body.errors)}`).toBeDefined()
    if (message) expect(error?.message, url).toMatch(message)
  }

  /** Every route that reads, with a query it accepts. */
  const readRoutes = () => [
    `/api/orders?limit=5&min_position=${position}`,
    `/api/orders/${orderId}?min_position=${position}`,
    `/api/orders/${orderId}/history`,
    '/api/reports/summaries?from=2026-01-01&to=2026-02-01',
    '/api/skus?limit=5',
    `/api/skus/${sku}?min_position=0`,
    '/api/users?limit=5',
    `/api/users/${encodeURIComponent(TEST_ADMIN.email)}`,
    '/api/admin/projections',
    '/api/admin/jobs',
  ]

  it('each route answers its valid query', async () => {
    for (const url of readRoutes()) expect((await get(url)).status, url).toBe(200)
  })

  it('an unknown parameter is refused on every route, naming it', async () => {
    for (const url of readRoutes()) {
      await expectRefused(`${url}${url.includes('?') ? '&' : '?'}colour=red`, 'querystring/colour')
    }
  })

  const dated = () => [
    { url: '/api/orders?', from: 'from', to: 'to' },
    { url: '/api/reports/summaries?', from: 'from', to: 'to' },
  ]

  it.each(['2026-02-30', '2026-13-01', '2026-01-01T25:00:00Z', 'yesterday', '2026-W05-1'])(
    'an impossible or unaccepted date (%s) is refused on every route that takes one',
    async (date) => {
      for (const { url, from, to } of dated()) {
        await expectRefused(`${url}${from}=${date}&${to}=2026-06-01`, `querystring/${from}`)
        await expectRefused(`${url}${from}=2026-01-01&${to}=${date}`, `querystring/${to}`)
      }
      await expectRefused(`/api/orders/${orderId}?as_of=${date}`, 'querystring/as_of')
    },
  )

  it('an empty or backwards range is refused on every route that takes one', async () => {
    for (const { url } of dated()) {
      await expectRefused(`${url}from=2026-02-01&to=2026-01-01`, 'querystring/to', /after from/)
      await expectRefused(`${url}from=2026-02-01T10:00:00Z&to=2026-02-01T10:00:00Z`, 'querystring/to', /after from/)
      // One day asked for as from = to: the answer says which `to` means it (`to` is exclusive).
      await expectRefused(`${url}from=2026-02-28&to=2026-02-28`, 'querystring/to', /for 2026-02-28 alone, to=2026-03-01\)$/)
    }
  })

  it('a "+" of an offset sent unencoded (it arrives as a space) is refused with how to encode it', async () => {
    for (const { url } of dated()) {
      await expectRefused(`${url}from=2026-02-01T09:30:00+05:30&to=2026-03-01`, 'querystring/from', /%2B/)
    }
    await expectRefused(`/api/orders/${orderId}?as_of=2026-02-01T09:30:00+05:30`, 'querystring/as_of', /%2B/)
    // Encoded, the same instants are fine.
    expect((await get('/api/orders?from=2026-02-01T09:30:00%2B05:30&to=2026-03-01')).status).toBe(200)
    expect((await get('/api/reports/summaries?from=2026-02-01T09:30:00%2B05:30&to=2026-03-01')).status).toBe(200)
  })

  it('every refusal changes nothing: the order and its history are as before', async () => {
    const before = await app.inject({ url: `/api/orders/${orderId}/history`, headers: admin })
    await get(`/api/orders/${orderId}/history?colour=red`)
    await get(`/api/orders?from=2026-02-30`)
    const after = await app.inject({ url: `/api/orders/${orderId}/history`, headers: admin })
    expect(after.body).toBe(before.body)
  })
})

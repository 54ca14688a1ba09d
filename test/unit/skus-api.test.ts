import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'

interface Problem {
  code: string
  errors?: { path: string; message: string }[]
  current_status?: string
}

describe('SKU API (commands)', () => {
  let app: FastifyInstance
  let admin: Record<string, string>
  let rep: Record<string, string>
  let n = 0
  const code = () => `CAT-${++n}`

  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    admin = bearer(await tokenFor(app, 'admin', TEST_ADMIN.email))
    rep = bearer(await tokenFor(app, 'sales_rep'))
  })
  afterAll(async () => {
    await app.close()
  })

  const create = (headers: Record<string, string>, payload: object) =>
    app.inject({ method: 'POST', url: '/api/skus', headers, payload })
  const sku = (sku: string) => ({ sku, name: 'Blue Widget', unit_price: 4999, currency: 'EUR', tax_rate_bp: 2100 })

  it('POST 201 with the catalogue entry, Location and ETag; a duplicate code is a 409', async () => {
    const id = code()
    const response = await create(rep, sku(id))
    expect(response.statusCode).toBe(201)
    expect(response.json()).toEqual({
      ...sku(id),
      active: true,
      version: 1,
      position: expect.any(Number) as number,
      created_at: expect.stringMatching(/Z$/) as string,
      updated_at: expect.stringMatching(/Z$/) as string,
    })
    expect([response.headers.location, response.headers.etag]).toEqual([`/api/skus/${id}`, '"1"'])
    const again = await create(admin, { ...sku(id), name: 'Other' })
    expect([again.statusCode, again.json<Problem>().code]).toEqual([409, 'SKU.EXISTS'])
  })

  it('400 lists every invalid field', async () => {
    const response = await create(admin, {
      sku: 'ab',
      name: '',
      unit_price: -1,
      currency: 'euro',
      tax_rate_bp: 10_001,
      colour: 'blue',
    })
    expect(response.statusCode).toBe(400)
    const paths = response
      .json<Problem>()
      .errors?.map((e) => e.path)
      .sort()
    expect(paths).toEqual(['body/colour', 'body/currency', 'body/name', 'body/sku', 'body/tax_rate_bp', 'body/unit_price'])
    expect((await create(admin, { ...sku(code()), unit_price: 12.5 })).statusCode).toBe(400)
    expect((await create(admin, { ...sku(code()), currency: 'XYZ' })).json<Problem>().errors).toEqual([
      { path: 'body/currency', message: 'is not an ISO 4217 currency code' },
    ])
  })

  it('PATCH records only real changes; an empty or unknown change is a 400; a missing SKU a 404', async () => {
    const id = code()
    await create(admin, sku(id))
    const patch = (payload: object, headers = admin) => app.inject({ method: 'PATCH', url: `/api/skus/${id}`, headers, payload })
    const changed = await patch({ unit_price: 5999, name: 'Blue Widget' })
    expect(changed.json()).toMatchObject({ unit_price: 5999, name: 'Blue Widget', version: 2 })
    const events = await app.eventStore.readStream(`sku-${id}`)
    expect(events.at(-1)).toMatchObject({ type: 'sku.updated', data: { sku: id, changes: { unit_price: 5999 } } })
    const unchanged = await patch({ unit_price: 5999 })
    expect([unchanged.statusCode, unchanged.json<{ version: number }>().version]).toEqual([200, 2])
    expect((await patch({})).statusCode).toBe(400)
    expect((await patch({ currency: 'USD' })).json<Problem>().errors).toEqual([
      { path: 'body/currency', message: 'is not an allowed field' },
    ])
    expect(
      (await app.inject({ method: 'PATCH', url: '/api/skus/NOPE-1', headers: admin, payload: { name: 'x' } })).json<Problem>()
        .code,
    ).toBe('SKU.NOT_FOUND')
    expect((await patch({ name: 'x' }, { ...admin, 'if-match': '"1"' })).statusCode).toBe(412)
    expect((await patch({ name: 'Renamed' }, { ...admin, 'if-match': '"2"' })).json()).toMatchObject({
      name: 'Renamed',
      version: 3,
    })
  })

  it('deactivate and reactivate, each once; doing it twice is a 409', async () => {
    const id = code()
    await create(admin, sku(id))
    const post = (action: string, payload?: object) =>
      app.inject({ method: 'POST', url: `/api/skus/${id}/${action}`, headers: admin, ...(payload ? { payload } : {}) })
    expect((await post('deactivate', { reason: 'end of line' })).json()).toMatchObject({
      active: false,
      deactivation_reason: 'end of line',
    })
    expect((await post('deactivate')).json<Problem>()).toMatchObject({
      code: 'SKU.ILLEGAL_TRANSITION',
      current_status: 'inactive',
    })
    const back = await post('reactivate')
    expect(back.json()).toMatchObject({ active: true, version: 3 })
    expect(back.json()).not.toHaveProperty('deactivation_reason')
    expect((await post('reactivate')).statusCode).toBe(409)
    expect((await app.inject({ method: 'POST', url: '/api/skus/NOPE-2/deactivate', headers: admin })).statusCode).toBe(404)
  })

  it('Idempotency-Key on POST /api/skus: a retry returns the original 201, another body is a 422', async () => {
    const id = code()
    const first = await create({ ...rep, 'idempotency-key': 'sku-key-1' }, sku(id))
    const retry = await create({ ...rep, 'idempotency-key': 'sku-key-1' }, sku(id))
    expect([retry.statusCode, retry.body, retry.headers['idempotent-replayed']]).toEqual([201, first.body, 'true'])
    const other = await create({ ...rep, 'idempotency-key': 'sku-key-1' }, { ...sku(id), unit_price: 1 })
    expect([other.statusCode, other.json<Problem>().code]).toEqual([422, 'REQUEST.IDEMPOTENCY_KEY_REUSED'])
  })

  it('Idempotency-Key on SKU changes: a retried deactivate or PATCH that was stored answers as it did, per SKU and route', async () => {
    const [a, b] = [code(), code()]
    await create(admin, sku(a))
    await create(admin, sku(b))
    const keyed = { ...admin, 'idempotency-key': 'change-1' }
    const deactivate = (id: string) =>
      app.inject({ method: 'POST', url: `/api/skus/${id}/deactivate`, headers: keyed, payload: { reason: 'end of line' } })
    const first = await deactivate(a)
    const retry = await deactivate(a)
    expect([retry.statusCode, retry.body, retry.headers['idempotent-replayed']]).toEqual([200, first.body, 'true'])
    // The same key on another SKU, or on another route of the same SKU, is another command.
    expect((await deactivate(b)).json()).toMatchObject({ sku: b, active: false })
    const rename = () => app.inject({ method: 'PATCH', url: `/api/skus/${a}`, headers: keyed, payload: { name: 'Renamed' } })
    const renamed = await rename()
    expect(renamed.json()).toMatchObject({ name: 'Renamed', version: 3 })
    expect([(await rename()).headers['idempotent-replayed'], (await rename()).body]).toEqual(['true', renamed.body])
  })
})

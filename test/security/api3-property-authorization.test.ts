import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN } from '../support/app.js'
import { orderIn } from '../support/fixtures.js'
import { appWithCallers, type Call, type Caller, PASSWORD, USERS, expectProblem, orderBody, send } from './support.js'

/**
 * API3:2023 Broken Object Property Level Authorization. Clients write only the properties
 * a route declares (prices, totals, statuses, versions, owners, hashes and timestamps are
 * the server's: an unknown field is a 400 naming it, never ignored) and read only the
 * public view of an object (a user is never shown with its password hash).
 *
 * Fixtures: SKU WIDGET-1; ORD-00001 rep A's, created; ORD-00002 rep A's, confirmed.
 */
const NOT_ALLOWED = 'is not an allowed field'
const PUBLIC_USER_FIELDS = ['created_at', 'disabled', 'email', 'name', 'role']
const NEW_USER = { email: 'new-user@corp.example', name: 'New', password: 'a-long-password', role: 'auditor' }

describe('API3 broken object property level authorization', () => {
  let app: FastifyInstance
  let as: Record<Caller, Record<string, string>>

  beforeAll(async () => {
    ;({ app, as } = await appWithCallers({ unit_price: 100_000, tax_rate_bp: 1800 }))
    const orders = [
      await orderIn(app, 'created', { skus: ['WIDGET-1'], salesRep: USERS.repA.email }),
      await orderIn(app, 'confirmed', { skus: ['WIDGET-1'], salesRep: USERS.repA.email }),
    ]
    expect(orders.map((o) => o.order_id)).toEqual(['ORD-00001', 'ORD-00002'])
  })
  afterAll(async () => {
    await app.close()
  })

  describe('mass assignment: a server-owned property in a request → 400 REQUEST.VALIDATION naming it; nothing is written', () => {
    const order = orderBody('WIDGET-1')
    it.each<[string, Caller, Call, string]>([
      [
        'POST /api/orders {status}',
        'repA',
        { method: 'POST', url: '/api/orders', payload: { ...order, status: 'delivered' } },
        'body/status',
      ],
      [
        'POST /api/orders {total_amount}',
        'repA',
        { method: 'POST', url: '/api/orders', payload: { ...order, total_amount: 1 } },
        'body/total_amount',
      ],
      [
        'POST /api/orders {subtotal}',
        'repA',
        { method: 'POST', url: '/api/orders', payload: { ...order, subtotal: 1 } },
        'body/subtotal',
      ],
      [
        'POST /api/orders {tax_amount}',
        'repA',
        { method: 'POST', url: '/api/orders', payload: { ...order, tax_amount: 0 } },
        'body/tax_amount',
      ],
      [
        'POST /api/orders {position}',
        'repA',
        { method: 'POST', url: '/api/orders', payload: { ...order, position: 0 } },
        'body/position',
      ],
      [
        'POST /api/orders {version}',
        'repA',
        { method: 'POST', url: '/api/orders', payload: { ...order, version: 99 } },
        'body/version',
      ],
      [
        'POST /api/orders {order_id}',
        'repA',
        { method: 'POST', url: '/api/orders', payload: { ...order, order_id: 'ORD-00001' } },
        'body/order_id',
      ],
      [
        'POST /api/orders {created_at}',
        'repA',
        { method: 'POST', url: '/api/orders', payload: { ...order, created_at: '2000-01-01T00:00:00.000Z' } },
        'body/created_at',
      ],
      [
        'POST /api/orders {items[0].unit_price}',
        'repA',
        { method: 'POST', url: '/api/orders', payload: { ...order, items: [{ sku: 'WIDGET-1', quantity: 1, unit_price: 1 }] } },
        'body/items/0/unit_price',
      ],
      [
        'POST /api/orders {items[0].tax_rate_bp}',
        'repA',
        { method: 'POST', url: '/api/orders', payload: { ...order, items: [{ sku: 'WIDGET-1', quantity: 1, tax_rate_bp: 0 }] } },
        'body/items/0/tax_rate_bp',
      ],
      [
        'POST /api/orders {items[0].line_total}',
        'repA',
        { method: 'POST', url: '/api/orders', payload: { ...order, items: [{ sku: 'WIDGET-1', quantity: 1, line_total: 1 }] } },
        'body/items/0/line_total',
      ],
      [
        'POST /api/orders/ORD-00001/cancel {status}',
        'repA',
        { method: 'POST', url: '/api/orders/ORD-00001/cancel', payload: { reason: 'changed my mind', status: 'delivered' } },
        'body/status',
      ],
      [
        'POST /api/orders/ORD-00001/confirm {total_amount}',
        'admin',
        { method: 'POST', url: '/api/orders/ORD-00001/confirm', payload: { total_amount: 1 } },
        'body/total_amount',
      ],
      [
        'POST /api/orders/ORD-00002/ship {delivered_at}',
        'admin',
        {
          method: 'POST',
          url: '/api/orders/ORD-00002/ship',
          payload: { carrier: 'DHL', tracking_number: 'JD0001', delivered_at: '2000-01-01T00:00:00.000Z' },
        },
        'body/delivered_at',
      ],
      [
        'POST /api/skus {active}',
        'repA',
        {
          method: 'POST',
          url: '/api/skus',
          payload: { sku: 'NEW-1', name: 'New', unit_price: 100, currency: 'EUR', tax_rate_bp: 2000, active: false },
        },
        'body/active',
      ],
      [
        'POST /api/skus {version}',
        'repA',
        {
          method: 'POST',
          url: '/api/skus',
          payload: { sku: 'NEW-2', name: 'New', unit_price: 100, currency: 'EUR', tax_rate_bp: 2000, version: 7 },
        },
        'body/version',
      ],
      [
        'PATCH /api/skus/WIDGET-1 {currency}',
        'admin',
        { method: 'PATCH', url: '/api/skus/WIDGET-1', payload: { currency: 'USD' } },
        'body/currency',
      ],
      [
        'PATCH /api/skus/WIDGET-1 {sku}',
        'admin',
        { method: 'PATCH', url: '/api/skus/WIDGET-1', payload: { sku: 'OTHER-1' } },
        'body/sku',
      ],
      [
        'PATCH /api/skus/WIDGET-1 {active}',
        'admin',
        { method: 'PATCH', url: '/api/skus/WIDGET-1', payload: { active: false } },
        'body/active',
      ],
      [
        'POST /api/users {password_hash}',
        'admin',
        { method: 'POST', url: '/api/users', payload: { ...NEW_USER, password_hash: 'scrypt$1$1$1$AAAA$AAAA' } },
        'body/password_hash',
      ],
      [
        'POST /api/users {disabled}',
        'admin',
        { method: 'POST', url: '/api/users', payload: { ...NEW_USER, disabled: false } },
        'body/disabled',
      ],
      [
        'POST /api/users {created_at}',
        'admin',
        { method: 'POST', url: '/api/users', payload: { ...NEW_USER, created_at: '2000-01-01T00:00:00.000Z' } },
        'body/created_at',
      ],
      [
        'POST /api/users {token_generation}',
        'admin',
        { method: 'POST', url: '/api/users', payload: { ...NEW_USER, token_generation: 0 } },
        'body/token_generation',
      ],
      [
        'PATCH /api/users/rep-a@corp.example {password_hash}',
        'admin',
        { method: 'PATCH', url: '/api/users/rep-a@corp.example', payload: { password_hash: 'scrypt$1$1$1$AAAA$AAAA' } },
        'body/password_hash',
      ],
      [
        'PATCH /api/users/rep-a@corp.example {created_at}',
        'admin',
        { method: 'PATCH', url: '/api/users/rep-a@corp.example', payload: { created_at: '2000-01-01T00:00:00.000Z' } },
        'body/created_at',
      ],
      [
        'PATCH /api/users/rep-a@corp.example {email}',
        'admin',
        { method: 'PATCH', url: '/api/users/rep-a@corp.example', payload: { email: 'someone-else@corp.example' } },
        'body/email',
      ],
      [
        'PATCH /api/users/rep-a@corp.example {token_generation}',
        'admin',
        { method: 'PATCH', url: '/api/users/rep-a@corp.example', payload: { token_generation: 0 } },
        'body/token_generation',
      ],
      [
        'POST /api/auth/token {role}',
        'anonymous',
        {
          method: 'POST',
          url: '/api/auth/token',
          payload: { email: TEST_ADMIN.email, password: TEST_ADMIN.password, role: 'admin' },
        },
        'body/role',
      ],
    ])('%s as %s → 400 REQUEST.VALIDATION naming the field', async (_name, caller, call, path) => {
      const head = await app.eventStore.headPosition()
      const repBefore = await app.users.find(USERS.repA.email)
      const response = await send(app, call, as[caller])
      const problem = expectProblem(response, 400, 'REQUEST.VALIDATION')
      expect(problem.errors).toContainEqual({ path, message: NOT_ALLOWED })
      expect(response.body).not.toContain('access_token')
      expect(await app.eventStore.headPosition()).toBe(head)
      expect(await app.users.find(USERS.repA.email)).toEqual(repBefore)
      expect(await app.users.find(NEW_USER.email)).toBeNull()
    })

    it('POST /api/orders {sales_rep: "rep-b@corp.example"} as rep A → 403 AUTH.FORBIDDEN (a rep cannot assign an order to another)', async () => {
      const head = await app.eventStore.headPosition()
      const response = await send(
        app,
        { method: 'POST', url: '/api/orders', payload: { ...order, sales_rep: USERS.repB.email } },
        as.repA,
      )
      expectProblem(response, 403, 'AUTH.FORBIDDEN')
      expect(await app.eventStore.headPosition()).toBe(head)
    })

    it.each<[string, string]>([
      [
        '__proto__',
        '{"email":"proto@corp.example","name":"P","password":"a-long-password","role":"auditor","__proto__":{"role":"admin"}}',
      ],
      [
        'constructor.prototype',
        '{"email":"proto@corp.example","name":"P","password":"a-long-password","role":"auditor","constructor":{"prototype":{"role":"admin"}}}',
      ],
    ])('POST /api/users with a %s key → 400 REQUEST.MALFORMED_JSON (prototype poisoning), no user', async (_name, payload) => {
      const response = await send(
        app,
        { method: 'POST', url: '/api/users', headers: { 'content-type': 'application/json' }, payload },
        as.admin,
      )
      expectProblem(response, 400, 'REQUEST.MALFORMED_JSON')
      expect(await app.users.find('proto@corp.example')).toBeNull()
    })

    it('control: the same order without server-owned fields → 201, priced from the catalogue', async () => {
      const response = await send(app, { method: 'POST', url: '/api/orders', payload: order }, as.repA)
      expect(response.statusCode, response.body).toBe(201)
      expect(response.json()).toMatchObject({ status: 'created', sales_rep: USERS.repA.email, total_amount: 118_000, version: 1 })
    })
  })

  describe('responses show only the public view of a user: never its password hash', () => {
    const expectPublicUser = (user: unknown) => {
      expect(Object.keys(user as object).sort()).toEqual(PUBLIC_USER_FIELDS)
    }
    const expectNoSecrets = (body: string) => {
      for (const secret of ['password', 'hash', 'scrypt$', 'token_generation']) expect(body).not.toContain(secret)
    }

    it('GET /api/users → 200, each item exactly {email, name, role, created_at, disabled}', async () => {
      const response = await send(app, { method: 'GET', url: '/api/users?limit=200' }, as.admin)
      expect(response.statusCode).toBe(200)
      const { items } = response.json<{ items: unknown[] }>()
      expect(items.length).toBeGreaterThanOrEqual(4)
      items.forEach(expectPublicUser)
      expectNoSecrets(response.body)
    })

    it('GET /api/users/rep-a@corp.example → 200 with the public fields only', async () => {
      const response = await send(app, { method: 'GET', url: '/api/users/rep-a@corp.example' }, as.admin)
      expect(response.statusCode).toBe(200)
      expectPublicUser(response.json())
      expectNoSecrets(response.body)
    })

    it('POST /api/users → 201 with the public fields only', async () => {
      const response = await send(
        app,
        {
          method: 'POST',
          url: '/api/users',
          payload: { email: 'created@corp.example', name: 'Created', password: 'a-long-password', role: 'sales_rep' },
        },
        as.admin,
      )
      expect(response.statusCode, response.body).toBe(201)
      expectPublicUser(response.json())
      expectNoSecrets(response.body)
    })

    it('PATCH /api/users/rep-b@corp.example {"password": …} → 200 with the public fields only', async () => {
      const response = await send(
        app,
        { method: 'PATCH', url: '/api/users/rep-b@corp.example', payload: { password: 'another-long-password' } },
        as.admin,
      )
      expect(response.statusCode, response.body).toBe(200)
      expectPublicUser(response.json())
      expectNoSecrets(response.body)
    })

    it('POST /api/auth/token → 200 {access_token, token_type, expires_in}; the token names no password or hash', async () => {
      const response = await send(app, {
        method: 'POST',
        url: '/api/auth/token',
        payload: { email: USERS.repA.email, password: PASSWORD },
      })
      expect(response.statusCode, response.body).toBe(200)
      const body = response.json<{ access_token: string }>()
      expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'token_type'])
      const claims = Buffer.from(body.access_token.split('.')[1] ?? '', 'base64url').toString()
      expect(claims).not.toMatch(/password|hash|scrypt/)
    })
  })
})

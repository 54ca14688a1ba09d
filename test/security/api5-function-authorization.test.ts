import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { orderIn } from '../support/fixtures.js'
import { appWithCallers, type Call, type Caller, USERS, expectProblem, orderBody, send } from './support.js'

/**
 * API5:2023 Broken Function Level Authorization. The role table (src/auth/abilities.ts,
 * README "Roles"): admin manages everything; a sales rep creates SKUs and orders, reads and
 * cancels its own created orders; an auditor reads. Every other function is a 403
 * AUTH.FORBIDDEN — also on the caller's own objects (a rep cannot confirm, ship or deliver
 * its own order, nor change its own account) — and changes nothing.
 *
 * Fixtures: SKU WIDGET-1; ORD-00001 rep A's, created; ORD-00002 rep A's, confirmed.
 */
const NEW_SKU = { sku: 'NEW-1', name: 'New', unit_price: 100, currency: 'EUR', tax_rate_bp: 2000 }
const NEW_ADMIN = { email: 'mallory@corp.example', name: 'Mallory', password: 'a-long-password', role: 'admin' }

const FORBIDDEN: [Caller, Call][] = [
  // The auditor reads; it never writes.
  ['auditor', { method: 'POST', url: '/api/orders', payload: orderBody('WIDGET-1') }],
  ['auditor', { method: 'POST', url: '/api/orders/ORD-00001/confirm' }],
  ['auditor', { method: 'POST', url: '/api/orders/ORD-00002/ship', payload: { carrier: 'DHL', tracking_number: 'JD1' } }],
  ['auditor', { method: 'POST', url: '/api/orders/ORD-00002/deliver' }],
  ['auditor', { method: 'POST', url: '/api/orders/ORD-00001/cancel', payload: { reason: 'audit' } }],
  ['auditor', { method: 'POST', url: '/api/skus', payload: NEW_SKU }],
  ['auditor', { method: 'PATCH', url: '/api/skus/WIDGET-1', payload: { unit_price: 1 } }],
  ['auditor', { method: 'POST', url: '/api/skus/WIDGET-1/deactivate', payload: { reason: 'audit' } }],
  ['auditor', { method: 'POST', url: '/api/skus/WIDGET-1/reactivate' }],
  ['auditor', { method: 'POST', url: '/api/users', payload: NEW_ADMIN }],
  ['auditor', { method: 'GET', url: '/api/users' }],
  ['auditor', { method: 'GET', url: '/api/users/auditor@corp.example' }],
  ['auditor', { method: 'PATCH', url: '/api/users/auditor@corp.example', payload: { role: 'admin' } }],
  ['auditor', { method: 'GET', url: '/api/admin/projections' }],
  ['auditor', { method: 'POST', url: '/api/admin/projections/orders/rebuild' }],
  // A sales rep: no user administration, no catalogue changes, no lifecycle but cancel, no reports or projections.
  ['repA', { method: 'POST', url: '/api/users', payload: NEW_ADMIN }],
  ['repA', { method: 'GET', url: '/api/users' }],
  ['repA', { method: 'GET', url: '/api/users/rep-a@corp.example' }],
  ['repA', { method: 'PATCH', url: '/api/users/rep-a@corp.example', payload: { role: 'admin' } }],
  ['repA', { method: 'PATCH', url: '/api/users/rep-b@corp.example', payload: { disabled: true } }],
  ['repA', { method: 'PATCH', url: '/api/skus/WIDGET-1', payload: { unit_price: 1 } }],
  ['repA', { method: 'POST', url: '/api/skus/WIDGET-1/deactivate', payload: { reason: 'mine now' } }],
  ['repA', { method: 'POST', url: '/api/skus/WIDGET-1/reactivate' }],
  ['repA', { method: 'POST', url: '/api/orders/ORD-00001/confirm' }],
  ['repA', { method: 'POST', url: '/api/orders/ORD-00002/ship', payload: { carrier: 'DHL', tracking_number: 'JD1' } }],
  ['repA', { method: 'POST', url: '/api/orders/ORD-00002/deliver' }],
  ['repA', { method: 'POST', url: '/api/orders/ORD-00002/cancel', payload: { reason: 'too late' } }],
  ['repA', { method: 'GET', url: '/api/reports/summaries?from=2026-01-01&to=2026-02-01' }],
  ['repA', { method: 'GET', url: '/api/admin/projections' }],
  ['repA', { method: 'POST', url: '/api/admin/projections/orders/rebuild' }],
]

/** What the role table does allow (run last: some change state). */
const CONTROLS: [Caller, Call, number][] = [
  ['repA', { method: 'POST', url: '/api/skus', payload: NEW_SKU }, 201],
  ['repA', { method: 'POST', url: '/api/orders', payload: orderBody('WIDGET-1') }, 201],
  ['repA', { method: 'POST', url: '/api/orders/ORD-00001/cancel', payload: { reason: 'customer changed their mind' } }, 200],
  ['auditor', { method: 'GET', url: '/api/reports/summaries?from=2026-01-01&to=2026-02-01' }, 200],
  ['auditor', { method: 'GET', url: '/api/orders/ORD-00002/history' }, 200],
  ['admin', { method: 'POST', url: '/api/admin/projections/skus/rebuild' }, 202],
]

describe('API5 broken function level authorization', () => {
  let app: FastifyInstance
  let as: Record<Caller, Record<string, string>>

  beforeAll(async () => {
    ;({ app, as } = await appWithCallers())
    const orders = [
      await orderIn(app, 'created', { skus: ['WIDGET-1'], salesRep: USERS.repA.email }),
      await orderIn(app, 'confirmed', { skus: ['WIDGET-1'], salesRep: USERS.repA.email }),
    ]
    expect(orders.map((o) => o.order_id)).toEqual(['ORD-00001', 'ORD-00002'])
  })
  afterAll(async () => {
    await app.close()
  })

  /** What a refused request must leave alone: the event log, the accounts and the projections. */
  async function snapshot() {
    return {
      head: await app.eventStore.headPosition(),
      users: await Promise.all(
        [USERS.repA.email, USERS.repB.email, USERS.auditor.email, NEW_ADMIN.email].map((e) => app.users.find(e)),
      ),
      projections: (await app.projections.status()).map(({ name, generation }) => ({ name, generation })),
    }
  }

  it.each(FORBIDDEN.map(([caller, call]) => [caller, call.method, call.url, call] as const))(
    '%s: %s %s → 403 AUTH.FORBIDDEN, nothing changes',
    async (caller, _method, _url, call) => {
      const before = await snapshot()
      expectProblem(await send(app, call, as[caller]), 403, 'AUTH.FORBIDDEN')
      expect(await snapshot()).toEqual(before)
    },
  )

  it('repA: GET /api/events/ws?token=<rep A’s token> → 403 AUTH.FORBIDDEN (the live feed is for admins and auditors)', async () => {
    const token = (as.repA.authorization ?? '').replace(/^Bearer /, '')
    expectProblem(await send(app, { method: 'GET', url: `/api/events/ws?token=${token}` }), 403, 'AUTH.FORBIDDEN')
  })

  describe('controls: what the role table does allow', () => {
    it.each(CONTROLS.map(([caller, call, status]) => [caller, `${call.method} ${call.url}`, status, call] as const))(
      '%s: %s → %i',
      async (caller, _request, status, call) => {
        const response = await send(app, call, as[caller])
        expect(response.statusCode, response.body).toBe(status)
      },
    )
  })
})

import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HOUR_MS, lastClosedHour } from '../../src/jobs/reconcile-summaries.js'
import type { SummaryRow } from '../../src/projections/summaries-projection.js'
import { type LogCapture, buildTestApp } from '../support/app.js'
import { bearer, sharedJwtSecret, tokenFor } from '../support/auth.js'
import { orderHistory } from '../support/jobs-history.js'
import { byId } from '../support/projections/harness.js'
import { MINUTE } from '../support/projections/history.js'
import { runToExit } from '../support/process.js'
import { createTestDatabase, redisNamespace, redisUri, skipWithoutServers, type TestDatabase } from '../support/servers.js'
import { eventually, sleep } from '../support/wait.js'

const REP_A = 'alice@example.com'
const REP_B = 'bob@example.com'

/**
 * Acceptance: drift planted directly in `order_summaries` for the last closed hour is
 * repaired by the next `reports.reconcile` run and counted, on any instance — the repair is
 * made by the summaries writer (the lease holder), reached through Redis; a run with no drift
 * changes nothing; a repaired row stays repaired when the writer's cached copy was stale.
 */
describe.skipIf(skipWithoutServers)('reports.reconcile on FerretDB and Redis, across instances', () => {
  let database: TestDatabase
  const namespace = redisNamespace('reconcile')
  const env = () => ({
    MONGODB_URI: database.uri,
    REDIS_URI: redisUri ?? '',
    ...namespace,
    JWT_SECRET: sharedJwtSecret(),
    JOBS_RECONCILE_CRON: '0 0 1 1 *', // runs here are asked for, never scheduled
  })
  let a: { app: FastifyInstance; logs: LogCapture }
  let b: { app: FastifyInstance; logs: LogCapture }
  let hour: number
  let history: ReturnType<typeof orderHistory>

  const summariesHolder = async (app: FastifyInstance) =>
    (await app.projections.status()).find((status) => status.name === 'summaries')?.active_here === true
  const rowsCollection = () =>
    database.db.collection<SummaryRow>(`order_summaries_v${b.app.projections.liveGeneration('summaries')}`)
  const hourRows = async () =>
    byId(
      await rowsCollection()
        .find({ bucket: { $gte: hour, $lt: hour + HOUR_MS } })
        .toArray(),
    )
  const caughtUp = async (app: FastifyInstance) => {
    const head = await app.eventStore.headPosition()
    await eventually('the summaries to catch up', async () => (await app.projections.waitFor('summaries', head, 500)).reached)
  }
  const reconcileOn = async (app: FastifyInstance) => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/admin/jobs/reports.reconcile/run',
      headers: bearer(await tokenFor(app, 'admin')),
    })
    expect(response.statusCode, response.body).toBe(200)
    return response.json<{ outcome: string; instance: string; details: { drift: number; rows: number } }>()
  }

  beforeAll(async () => {
    database = await createTestDatabase('jobs_reconcile')
    // Orders "in the last closed hour" must stay in it for the whole file (about 20 s): in an
    // hour's last minute, wait for the next one.
    if (Date.now() % HOUR_MS > HOUR_MS - MINUTE) await sleep(HOUR_MS - (Date.now() % HOUR_MS) + 1000)
    hour = lastClosedHour(new Date())
    a = await buildTestApp({ env: { ...env(), INSTANCE_ID: 'instance-a' }, captureLogs: true })
    await eventually('instance A to hold the summaries lease', () => summariesHolder(a.app))
    b = await buildTestApp({ env: { ...env(), INSTANCE_ID: 'instance-b' }, captureLogs: true })
    history = orderHistory(b.app.storage.commitLog) // (B's: A stops in the last test)
    await history.created('ORD-00001', REP_A, { 'SKU-A': 2, 'SKU-B': 1 }, hour + 1 * MINUTE)
    await history.created('ORD-00002', REP_B, { 'SKU-C': 5 }, hour + 16 * MINUTE)
    await history.created('ORD-00003', REP_A, { 'SKU-A': 3, 'SKU-C': 1 }, hour + 31 * MINUTE)
    await history.created('ORD-00004', REP_B, { 'SKU-B': 4 }, hour + 46 * MINUTE)
    await history.created('ORD-00005', REP_A, { 'SKU-A': 1 }, hour + 47 * MINUTE)
    await history.cancelled('ORD-00003', hour + 50 * MINUTE)
    await caughtUp(a.app)
  }, 120_000)
  afterAll(async () => {
    await Promise.all([a.app.close(), b.app.close()])
    await database.drop()
  })

  it('a run with no drift finds none and changes nothing', async () => {
    const before = await hourRows()
    expect(before).toEqual(await history.expectedRows(hour))
    const run = await reconcileOn(b.app)
    expect(run).toMatchObject({ outcome: 'ok', instance: 'instance-b', details: { drift: 0, rows: before.length } })
    expect(await hourRows()).toEqual(before)
    expect(b.logs.lines.filter((line) => line.msg === 'summary drift')).toEqual([])
  })

  it('drift planted in order_summaries is repaired by the next run on another instance, through the writer, and counted', async () => {
    const [changed, removed] = (await hourRows()).filter((row) => row.sku !== '*')
    if (!changed || !removed) throw new Error('fixture: too few rows')
    await rowsCollection().updateOne({ _id: changed._id }, { $set: { order_count: 42, total_amount: 7 } })
    await rowsCollection().deleteOne({ _id: removed._id })
    await rowsCollection().insertOne({
      ...changed,
      _id: `${hour}|mallory@example.com|SKU-A`,
      sales_rep: 'mallory@example.com',
      bucket: hour,
    })

    const run = await reconcileOn(b.app)
    expect(run).toMatchObject({ outcome: 'ok', instance: 'instance-b', details: { drift: 3 } })
    expect(await hourRows()).toEqual(await history.expectedRows(hour))
    const drift = b.logs.lines.filter((line) => line.msg === 'summary drift')
    expect(drift.map((line) => line.row).sort()).toEqual([changed._id, removed._id, `${hour}|mallory@example.com|SKU-A`].sort())
    expect(drift.find((line) => line.row === changed._id)).toMatchObject({
      level: 'warn',
      sku: changed.sku,
      sales_rep: changed.sales_rep,
      from: { order_count: 42, total_amount: 7 },
      to: { order_count: changed.order_count, total_amount: changed.total_amount },
    })
    expect(await summariesHolder(b.app)).toBe(false) // the writer that repaired was A's
    expect(await reconcileOn(b.app)).toMatchObject({ details: { drift: 0 } })
  })

  it('a repaired row stays repaired after the lease moved and more orders for its bucket were projected (npm run job)', async () => {
    const row = (await hourRows()).find((r) => r.sales_rep === REP_A && r.sku === 'SKU-A' && r.bucket === hour + 45 * MINUTE)
    if (!row) throw new Error('fixture: no SKU-A row for rep A in the last quarter')
    await rowsCollection().updateOne({ _id: row._id }, { $set: { items_sold: row.items_sold + 100 } })
    // A stops: B takes the summaries over with nothing cached; a late commit for the bucket
    // makes B read the drifted row, add to it and keep that copy.
    await a.app.close()
    await eventually('instance B to hold the summaries lease', () => summariesHolder(b.app))
    await history.created('ORD-00006', REP_A, { 'SKU-A': 1 }, hour + 56 * MINUTE)
    await caughtUp(b.app)
    expect((await rowsCollection().findOne({ _id: row._id }))?.items_sold).toBe(row.items_sold + 100 + 1)

    const job = { ...env(), INSTANCE_ID: 'operator' }
    const repaired = await runToExit('src/cli/job.ts', ['reports.reconcile'], job)
    expect([repaired.code, repaired.output]).toEqual([0, expect.stringMatching(/reports\.reconcile: ok in \d+ ms .*"drift":1/)])
    expect(repaired.output).toContain(`summary drift {"hour":"${new Date(hour).toISOString()}","row":"${row._id}"`)

    await history.created('ORD-00007', REP_A, { 'SKU-A': 2 }, hour + 57 * MINUTE)
    await history.cancelled('ORD-00005', hour + 59 * MINUTE)
    await caughtUp(b.app)
    expect(await rowsCollection().findOne({ _id: row._id })).toMatchObject({
      items_sold: row.items_sold + 1 + 2,
      cancelled_count: 1,
    })
    expect(await hourRows()).toEqual(await history.expectedRows(hour))
    const clean = await runToExit('src/cli/job.ts', ['reports.reconcile'], job)
    expect([clean.code, clean.output]).toEqual([0, expect.stringMatching(/"drift":0/)])
    const usage = await runToExit('src/cli/job.ts', ['reports.rebuild'], job)
    expect([usage.code, usage.output.trim()]).toEqual([2, 'usage: npm run job -- <reports.reconcile|realtime.trim>'])
  })
})

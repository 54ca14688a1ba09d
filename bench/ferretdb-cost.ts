import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { type LoadResult, load, startBenchServer } from './http.js'
import { type Row, format, printTable } from './report.js'
import { benchMongo, dropBenchDatabase, redisForBench } from './servers.js'

const SEEDED = Number(process.env.BENCH_FERRETDB_ORDERS ?? 5000)
/**
 * Seconds per POST round: short, so that "at 5 000 orders" stays true on a fast machine (5 s
 * rounds placed another 5 000 orders each at 1 000/s, and compared 100 → 5 400 against
 * 5 400 → 9 900). A warm-up round goes first: the first round otherwise ran cold.
 */
const POST_SECONDS = 1
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60)

/**
 * One instance on FerretDB: what an order costs when the store is nearly empty and when it
 * holds 5 000 orders (POST rate, GET /api/orders p99), what an idle service costs FerretDB
 * (CPU and queries per second over 60 s), and how fast the orders projection rebuilds.
 */
export async function benchFerretDb(): Promise<void> {
  const mongo = benchMongo()
  const database = `bench_${randomBytes(4).toString('hex')}`
  const databaseUri = `${mongo.uri.replace(/\/$/, '')}/${database}`
  const server = await startBenchServer('bench/ferretdb-server.ts', {
    MONGODB_URI: databaseUri,
    REDIS_URI: redisForBench(),
    REDIS_KEY_PREFIX: `${database}:`,
    REDIS_STREAM: `${database}:events`,
  })
  const { port, admin, rep, sku } = server.hello as { port: number; admin: string; rep: string; sku: string }
  const base = `http://127.0.0.1:${port}`
  const post = (seconds: number) =>
    load({
      url: `${base}/api/orders`,
      method: 'POST',
      headers: { authorization: `Bearer ${rep}`, 'content-type': 'application/json' },
      body: JSON.stringify({ customer: { name: 'Bench Ltd' }, items: [{ sku, quantity: 2 }] }),
      connections: 20,
      seconds,
    })
  const list = () =>
    load({ url: `${base}/api/orders?limit=50`, headers: { authorization: `Bearer ${admin}` }, connections: 10, seconds: 5 })
  const rows: Row[] = []
  try {
    let orders = await seed(base, rep, sku, 0, 100)
    await caughtUp(base, admin)
    const list100 = await list()
    const warmUp = await post(POST_SECONDS) // compiled code and pooled connections for both rounds
    orders += warmUp.ok
    await caughtUp(base, admin)
    const emptyAt = orders
    const postEmpty = await post(POST_SECONDS)
    orders = await seed(base, rep, sku, orders + postEmpty.ok, SEEDED)
    await caughtUp(base, admin)
    // The rebuild over the 5 000 orders the target names, and again at the end over everything.
    const rebuildAtSeed = await rebuildRate(base, admin)
    const list5000 = await list()
    const fullAt = orders
    const postFull = await post(POST_SECONDS)
    orders += postFull.ok
    assertClean(list100, list5000, warmUp, postEmpty, postFull)
    rows.push(
      {
        what: `POST /api/orders, 20 connections, ${POST_SECONDS} s from ${format(fullAt, 'orders')} stored (${format(postFull.ok, 'orders')} placed; target ratio >= 0.9)`,
        figure: format(postFull.requestsPerSecond, 'req/s'),
        baseline: `${format(postEmpty.requestsPerSecond, 'req/s')} from ${format(emptyAt, 'orders')} (${format(postEmpty.ok, 'orders')} placed)`,
        ratio: postFull.requestsPerSecond / postEmpty.requestsPerSecond,
      },
      {
        what: `GET /api/orders?limit=50 p99, 10 connections, 5 s, ${format(SEEDED, 'orders')} (target ratio <= 2)`,
        figure: `${list5000.p99} ms (${format(list5000.requestsPerSecond, 'req/s')})`,
        baseline: `${list100.p99} ms at 100 orders (${format(list100.requestsPerSecond, 'req/s')})`,
        ratio: list5000.p99 / Math.max(list100.p99, 1),
      },
    )

    await caughtUp(base, admin)
    const idle = await idleCost(mongo, IDLE_SECONDS)
    rows.push({
      what: `idle ${IDLE_SECONDS} s with ${format(orders, 'orders')} stored: FerretDB CPU (target <= 5 % of a core), queries/s`,
      figure: `${idle.cpuPercent.toFixed(1)} % of a core, ${idle.queriesPerSecond.toFixed(1)} queries/s`,
    })

    const rebuild = await rebuildRate(base, admin)
    for (const { events, rate, ms } of [rebuildAtSeed, rebuild]) {
      rows.push({
        what: `rebuild of the orders projection, ${format(events, 'events')} (target >= 1 000 events/s over 5 000)`,
        figure: format(rate, 'events/s'),
        baseline: `${(ms / 1000).toFixed(1)} s`,
      })
    }
    printTable('One instance on FerretDB: cost with the data', rows)
  } finally {
    await server.stop()
    await dropBenchDatabase(databaseUri)
    mongo.stop()
  }
}

/** Places orders until `upTo` exist (`have` already do); returns how many exist. */
async function seed(base: string, token: string, sku: string, have: number, upTo: number): Promise<number> {
  let next = have
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < upTo) {
        next++
        const response = await fetch(`${base}/api/orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ customer: { name: `Seed ${next}` }, items: [{ sku, quantity: 1 }] }),
        })
        if (response.status !== 201) throw new Error(`seeding: ${response.status} ${await response.text()}`)
      }
    }),
  )
  return Math.max(have, upTo)
}

async function projections(base: string, admin: string) {
  const response = await fetch(`${base}/api/admin/projections`, { headers: { authorization: `Bearer ${admin}` } })
  return (await response.json()) as {
    name: string
    generation: number
    lag: number
    position: number
    rebuild?: { position: number; lag: number }
  }[]
}

async function caughtUp(base: string, admin: string): Promise<void> {
  const deadline = Date.now() + 600_000
  while ((await projections(base, admin)).some((p) => p.lag > 0)) {
    if (Date.now() > deadline) throw new Error('projections did not catch up within 10 minutes')
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

function assertClean(...results: LoadResult[]): void {
  for (const r of results) if (r.non2xx + r.errors > 0) throw new Error(`bench saw failures: ${JSON.stringify(r)}`)
}

/** CPU of the FerretDB process (utime + stime from /proc) and PostgreSQL transactions of its database, over `seconds`. */
export async function idleCost(mongo: { pid?: number; pgDatabase?: string }, seconds: number) {
  const cpu = () => {
    if (!mongo.pid) return 0
    const fields = readFileSync(`/proc/${mongo.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return (Number(fields[11]) + Number(fields[12])) / 100 // clock ticks (100/s) → seconds
  }
  const transactions = () =>
    mongo.pgDatabase
      ? Number(
          execFileSync(
            'psql',
            [
              '-h',
              '127.0.0.1',
              '-U',
              'postgres',
              '-tAc',
              `SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '${mongo.pgDatabase}'`,
            ],
            {
              encoding: 'utf8',
            },
          ).trim(),
        )
      : 0
  const [cpu0, tx0] = [cpu(), transactions()]
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
  const [cpu1, tx1] = [cpu(), transactions()]
  return { cpuPercent: ((cpu1 - cpu0) / seconds) * 100, queriesPerSecond: (tx1 - tx0) / seconds }
}

async function rebuildRate(base: string, admin: string): Promise<{ events: number; ms: number; rate: number }> {
  const before = (await projections(base, admin)).find((p) => p.name === 'orders')
  const events = before?.position ?? 0
  const start = performance.now()
  const response = await fetch(`${base}/api/admin/projections/orders/rebuild`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: '{}',
  })
  const { generation } = (await response.json()) as { generation: number }
  for (;;) {
    const orders = (await projections(base, admin)).find((p) => p.name === 'orders')
    if (orders?.generation === generation) break
    if (performance.now() - start > 600_000) throw new Error('the rebuild did not finish within 10 minutes')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const ms = performance.now() - start
  return { events, ms, rate: (events * 1000) / ms }
}

import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { loadConfig } from '../src/infra/config.js'
import { openStorage } from '../src/storage/open-storage.js'
import { idleCost } from './ferretdb-cost.js'
import { ClusterLoad, type ClusterLoadResult } from './cluster-load.js'
import { best, saturationSweep } from './cluster-saturation.js'
import { FeedWatcher, consumerProgress } from './cluster-watch.js'
import { startBenchServer } from './http.js'
import { type Row, format, printTable } from './report.js'
import { benchMongo, dropBenchDatabase, redisForBench } from './servers.js'

const SECONDS = Number(process.env.BENCH_CLUSTER_SECONDS ?? 60)
const FAILOVER_RUNS = 3
/** Clients placing orders back to back, for the highest rate (group commit grows with the requests in flight). */
const CLIENT_COUNTS = [16, 48, 96] as const
const NAMES = ['node-a', 'node-b', 'node-c'] as const

interface Instance {
  name: string
  base: string
  stop: () => Promise<void>
  kill: () => void
}

/**
 * Three instances as real processes on one FerretDB and one Redis, orders sent round-robin
 * with one retry on another instance (a load balancer): the highest rate one instance and
 * three instances sustain (see `saturationSweep`), then 20 orders/s; consumer lag under load; the idle cost; and
 * `kill -9` of the lease holder under load, three times, until every consumer is back at
 * lag 0 on another instance — then nothing may be lost or doubled in the orders read model,
 * the Redis stream, or an admin's Socket.IO client.
 */
export async function benchCluster(): Promise<void> {
  const mongo = benchMongo()
  const database = `bench_${randomBytes(4).toString('hex')}`
  const mongodbUri = `${mongo.uri.replace(/\/$/, '')}/${database}`
  const env = {
    MONGODB_URI: mongodbUri,
    REDIS_URI: redisForBench(),
    REDIS_KEY_PREFIX: `${database}:`,
    REDIS_STREAM: `${database}:events`,
    JWT_SECRET: generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString(),
  }
  const storage = await openStorage(loadConfig({ MONGODB_URI: mongodbUri, INSTANCE_ID: 'bench' }))
  const redis = new Redis(env.REDIS_URI)
  const instances: (Instance | undefined)[] = []
  const start = async (index: number, seed = false) => {
    const name = NAMES[index] ?? `node-${index}`
    const server = await startBenchServer('bench/ferretdb-server.ts', { ...env, INSTANCE_ID: name, BENCH_SEED: seed ? '1' : '0' })
    const instance: Instance = {
      name,
      base: `http://127.0.0.1:${(server.hello as { port: number }).port}`,
      stop: () => server.stop(),
      kill: () => server.child.kill('SIGKILL'),
    }
    instances[index] = instance
    return { instance, hello: server.hello as { rep?: string; admin?: string; sku?: string } }
  }
  const rows: Row[] = []
  let watcher: FeedWatcher | undefined
  try {
    const { single, spread } = await saturationSweep(mongo.uri, env, 3, CLIENT_COUNTS, SECONDS)
    const [top1, top3] = [best(single), best(spread)]
    const rate = (point: typeof top1) => point.result.ok / point.result.seconds
    rows.push(
      ...[...single, ...spread].map(({ instances, clients, result }) =>
        loadRow(
          `${instances} instance${instances > 1 ? 's' : ''}, ${clients} clients back to back, ${SECONDS} s (own database)`,
          result,
        ),
      ),
      {
        what: `throughput at saturation, each at its best client count: 3 instances (${top3.clients}) vs 1 (${top1.clients}) (target >= 0.9)`,
        figure: format(rate(top3), 'orders/s'),
        baseline: `${format(rate(top1), 'orders/s')} one instance`,
        ratio: rate(top3) / rate(top1),
      },
      shareRow(`3 instances at saturation (${top3.clients} clients): successes per instance`, top3.result),
    )
    printTable('Cluster: the highest rate, one instance and three', rows.splice(0))

    const { hello } = await start(0, true)
    const token = hello.rep ?? ''
    const admin = hello.admin ?? ''
    const sku = hello.sku ?? ''
    const bases = () => instances.flatMap((i) => (i ? [i.base] : []))
    await start(1)
    await start(2)

    watcher = new FeedWatcher(bases, admin)
    await watcher.start(await storage.commitLog.lastPosition())
    const lagged = sampleLag(storage)
    const steady = await new ClusterLoad({ bases: bases(), token, sku }).atRate(20, SECONDS)
    const lag = await lagged.stop()
    rows.push(
      loadRow(`3 instances, 20 orders/s round-robin, ${SECONDS} s`, steady),
      shareRow('3 instances at 20/s: successes per instance (target: within 20 % of each other)', steady),
      {
        what: `consumer lag under 20/s (max over samples every 0.5 s; target < 50)`,
        figure: Object.entries(lag)
          .map(([name, max]) => `${name} ${max}`)
          .join(', '),
      },
    )
    printTable('Cluster: three instances on one FerretDB and one Redis', rows.splice(0))

    await waitForLag(storage, 0, 120_000)
    const idle = await idleCost(mongo, SECONDS)
    rows.push({
      what: `idle ${SECONDS} s, 3 instances, ${format(await storage.commitLog.lastPosition(), 'events')} in the log: FerretDB CPU, queries/s`,
      figure: `${idle.cpuPercent.toFixed(1)} % of a core, ${idle.queriesPerSecond.toFixed(1)} queries/s`,
    })

    const acknowledged = [...steady.orderIds]
    for (let run = 1; run <= FAILOVER_RUNS; run++) {
      const down = new Set<number>()
      const load = new ClusterLoad({ bases: bases(), token, sku, down })
      const loading = load.atRate(20, 30)
      await new Promise((resolve) => setTimeout(resolve, 8000))
      const holder = (await consumerProgress(storage)).find((c) => c.name === 'relay')?.holder ?? ''
      const victim = NAMES.findIndex((name) => holder.startsWith(`${name}:`))
      if (victim < 0) throw new Error(`relay holder ${holder} is none of the instances`)
      const killedAt = performance.now()
      instances[victim]?.kill()
      down.add(victim)
      const recovered = await recoveryTimes(storage, NAMES[victim] ?? '', killedAt)
      const result = await loading
      acknowledged.push(...result.orderIds)
      rows.push({
        what: `kill -9 of ${NAMES[victim] ?? ''} (lease holder) under 20/s, run ${run}: every consumer back at lag 0 on another instance (target < 10 s)`,
        figure: `${(Math.max(...Object.values(recovered)) / 1000).toFixed(1)} s`,
        baseline: Object.entries(recovered)
          .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`)
          .join(', '),
      })
      rows.push(loadRow(`  orders during run ${run}`, result))
      await start(victim)
    }
    await waitForLag(storage, 0, 120_000)
    await new Promise((resolve) => setTimeout(resolve, 2000)) // the watcher's last deliveries
    rows.push(await exactlyOnce(acknowledged, instances[0]?.base ?? '', admin, redis, env.REDIS_STREAM, storage, watcher))
    printTable('Cluster: idle cost and fail-over', rows)
  } finally {
    watcher?.close()
    await Promise.all(instances.flatMap((instance) => (instance ? [instance.stop()] : [])))
    redis.disconnect()
    await storage.close()
    await dropBenchDatabase(mongodbUri)
    mongo.stop()
  }
}

function loadRow(what: string, result: ClusterLoadResult): Row {
  const failures = Object.entries(result.failures)
    .map(([status, n]) => `${n} × ${status}`)
    .join(', ')
  return {
    what,
    figure: `${result.ok} / ${result.sent} ok (${format(result.ok / result.seconds, 'orders/s')})`,
    baseline: `${result.failed} failed${failures ? ` (${failures})` : ''}; p50 ${result.p50} ms, p99 ${result.p99} ms`,
  }
}

function shareRow(what: string, result: ClusterLoadResult): Row {
  const shares = result.byInstance
  return {
    what,
    figure: shares.join(' / '),
    baseline: 'max / min',
    ratio: Math.max(...shares) / Math.max(1, Math.min(...shares)),
  }
}

function sampleLag(storage: Awaited<ReturnType<typeof openStorage>>) {
  const max: Record<string, number> = {}
  const state = { running: true }
  const loop = (async () => {
    while (state.running) {
      for (const { name, lag } of await consumerProgress(storage)) {
        const short = name.replace(/^projection:/, '').replace(/#\d+$/, '')
        max[short] = Math.max(max[short] ?? 0, lag)
      }
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  })()
  return {
    stop: async () => {
      state.running = false
      await loop
      return max
    },
  }
}

async function waitForLag(storage: Awaited<ReturnType<typeof openStorage>>, lag: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while ((await consumerProgress(storage)).some((c) => c.lag > lag)) {
    if (Date.now() > deadline) throw new Error(`consumers not at lag ${lag} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Per consumer, ms from the kill until another instance holds it and it is at lag 0. */
async function recoveryTimes(
  storage: Awaited<ReturnType<typeof openStorage>>,
  killed: string,
  killedAt: number,
): Promise<Record<string, number>> {
  const recovered: Record<string, number> = {}
  const deadline = killedAt + 60_000
  for (;;) {
    const progress = await consumerProgress(storage)
    for (const { name, holder, lag } of progress) {
      const short = name.replace(/^projection:/, '').replace(/#\d+$/, '')
      if (recovered[short] === undefined && !holder.startsWith(`${killed}:`) && lag <= 0) {
        recovered[short] = performance.now() - killedAt
      }
    }
    if (progress.every(({ name }) => recovered[name.replace(/^projection:/, '').replace(/#\d+$/, '')] !== undefined)) {
      return recovered
    }
    if (performance.now() > deadline) throw new Error(`consumers not recovered 60 s after killing ${killed}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Every acknowledged order once in the read model, the stream dense and single, the Socket.IO client's count exact. */
async function exactlyOnce(
  acknowledged: readonly string[],
  base: string,
  admin: string,
  redis: Redis,
  streamKey: string,
  storage: Awaited<ReturnType<typeof openStorage>>,
  watcher: FeedWatcher,
): Promise<Row> {
  const listed = new Map<string, number>()
  for (let cursor: string | undefined; ;) {
    const url = `${base}/api/orders?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
    const page = (await (await fetch(url, { headers: { authorization: `Bearer ${admin}` } })).json()) as {
      items: { order_id: string }[]
      next_cursor?: string | null
    }
    for (const order of page.items) listed.set(order.order_id, (listed.get(order.order_id) ?? 0) + 1)
    if (!page.next_cursor) break
    cursor = page.next_cursor
  }
  const head = await storage.commitLog.lastPosition()
  const entries = await redis.xrange(streamKey, '-', '+')
  const positions = entries.map(([id]) => Number(id.split('-')[0]))
  const dense = positions.length === head && positions.every((p, i) => p === i + 1)
  const missingInList = acknowledged.filter((id) => listed.get(id) !== 1).length
  const missingLive = acknowledged.filter((id) => (watcher.received.get(id) ?? 0) !== 1).length
  const doubledLive = [...watcher.received.values()].filter((n) => n > 1).length
  const ok = missingInList === 0 && dense && missingLive === 0 && doubledLive === 0
  if (!ok) process.exitCode = 1
  return {
    what: `exactly once after the fail-overs: ${acknowledged.length} acknowledged orders`,
    figure: ok ? 'none lost or doubled' : 'LOST OR DOUBLED',
    baseline:
      `read model: ${missingInList} not listed exactly once (${listed.size} listed); ` +
      `Redis stream: ${positions.length} entries for head ${head}, ${dense ? 'dense' : 'NOT dense'}; ` +
      `Socket.IO client: ${missingLive} not received exactly once, ${doubledLive} doubled, ${watcher.resyncs} resyncs`,
  }
}

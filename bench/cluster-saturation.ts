import { randomBytes } from 'node:crypto'
import { ClusterLoad, type ClusterLoadResult } from './cluster-load.js'
import { startBenchServer } from './http.js'
import { dropBenchDatabase } from './servers.js'

const WARM_UP_SECONDS = 5

export interface SaturationPoint {
  instances: number
  clients: number
  result: ClusterLoadResult
}

/**
 * The highest rate one instance and `instances` instances sustain, at each of `clientCounts`
 * clients placing orders back to back: every point on a database of its own, fresh
 * instances, a warm-up, then `seconds` measured. Both are measured alike — same starting
 * log, nothing else connected — since on FerretDB every query costs time in proportion to
 * the log. The two are interleaved, in alternating order (1, n; n, 1; 1, n): PostgreSQL
 * beneath FerretDB checkpoints and vacuums while the sweep runs and the machine's speed
 * drifts, and when each configuration was swept in one block, the one swept second paid for
 * more of that (one machine, one run each: three instances 0.58 of one in blocks, 0.67
 * interleaved).
 */
export async function saturationSweep(
  mongoUri: string,
  env: Record<string, string>,
  instances: number,
  clientCounts: readonly number[],
  seconds: number,
): Promise<{ single: SaturationPoint[]; spread: SaturationPoint[] }> {
  const single: SaturationPoint[] = []
  const spread: SaturationPoint[] = []
  for (const [index, clients] of clientCounts.entries()) {
    const order = index % 2 === 0 ? [1, instances] : [instances, 1]
    for (const count of order) {
      const point = { instances: count, clients, result: await measurePoint(mongoUri, env, count, clients, seconds) }
      ;(count === 1 ? single : spread).push(point)
    }
  }
  return { single, spread }
}

/** `instances` fresh instances on a fresh database: a warm-up, then `clients` back to back for `seconds`. */
async function measurePoint(
  mongoUri: string,
  env: Record<string, string>,
  instances: number,
  clients: number,
  seconds: number,
): Promise<ClusterLoadResult> {
  const database = `bench_${randomBytes(4).toString('hex')}`
  const databaseUri = `${mongoUri.replace(/\/$/, '')}/${database}`
  const own = {
    ...env,
    MONGODB_URI: databaseUri,
    REDIS_KEY_PREFIX: `${database}:`,
    REDIS_STREAM: `${database}:events`,
  }
  const servers: Awaited<ReturnType<typeof startBenchServer>>[] = []
  try {
    for (let i = 0; i < instances; i++) {
      const seed = i === 0 ? '1' : '0'
      servers.push(await startBenchServer('bench/ferretdb-server.ts', { ...own, INSTANCE_ID: `sat-${i}`, BENCH_SEED: seed }))
    }
    const { rep, sku } = servers[0]?.hello as { rep: string; sku: string }
    const target = { bases: servers.map((s) => `http://127.0.0.1:${(s.hello as { port: number }).port}`), token: rep, sku }
    await new ClusterLoad(target).saturate(clients, WARM_UP_SECONDS)
    return await new ClusterLoad(target).saturate(clients, seconds)
  } finally {
    await Promise.all(servers.map((server) => server.stop()))
    await dropBenchDatabase(databaseUri)
  }
}

/** The point with the highest rate. */
export function best(points: readonly SaturationPoint[]): SaturationPoint {
  const top = [...points].sort((a, b) => b.result.ok / b.result.seconds - a.result.ok / a.result.seconds)[0]
  if (!top) throw new Error('no saturation points')
  return top
}

// `npm run replay -- <orders|skus|summaries|all>`: rebuilds read models from position 0
// into new generations while the service keeps answering from the current ones, switches
// each when it has caught up, and exits. Needs MONGODB_URI (the embedded store lives inside
// the service process: use POST /api/admin/projections/:name/rebuild there).
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { MongoClient } from 'mongodb'
import { createEventStore } from '../events/event-store.js'
import { MongoCommitLog } from '../events/mongo-commit-log.js'
import { ConfigError, loadConfig } from '../infra/config.js'
import { MongoGenerationStore } from '../projections/generations.js'
import { startProjectionManager } from '../projections/manager.js'
import { MongoLeaseStore } from '../projections/mongo-lease-store.js'
import { MongoReadModelStore } from '../projections/mongo-read-model.js'
import { ordersProjection } from '../projections/orders-projection.js'
import { PROJECTION_NAMES, type ProjectionName } from '../projections/projection.js'
import { skusProjection } from '../projections/skus-projection.js'
import { summariesProjection } from '../projections/summaries-projection.js'

const say = (line: string) => process.stdout.write(`${line}\n`)
const fail = (line: string, code: number): never => {
  process.stderr.write(`${line}\n`)
  process.exit(code)
}

if (process.env.DOTENV !== 'off' && existsSync('.env')) process.loadEnvFile('.env')
const arg = process.argv[2]
const names: ProjectionName[] =
  arg === 'all'
    ? [...PROJECTION_NAMES]
    : PROJECTION_NAMES.includes(arg as ProjectionName)
      ? [arg as ProjectionName]
      : fail(`usage: npm run replay -- <${PROJECTION_NAMES.join('|')}|all>`, 2)

let config
try {
  config = loadConfig()
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error), 1)
}
if (!config?.mongodbUri)
  fail('replay needs MONGODB_URI; in the embedded mode use POST /api/admin/projections/:name/rebuild on the running service', 2)

const client = await new MongoClient(config?.mongodbUri ?? '', { appName: `${config?.instanceId ?? 'replay'}:replay` }).connect()
const db = client.db(config?.mongodbDatabase)
const store = createEventStore(new MongoCommitLog(db), { source: `${config?.instanceId ?? 'replay'}:replay` })
const leases = new MongoLeaseStore(db)
await leases.ensureIndexes()
const manager = startProjectionManager({
  store,
  readModels: new MongoReadModelStore(db),
  leases,
  generations: new MongoGenerationStore(db),
  definitions: [ordersProjection, skusProjection, summariesProjection],
  holder: `${config?.instanceId ?? 'replay'}:replay:${randomBytes(4).toString('hex')}`,
  runLive: false,
  onError: (error, context) => {
    process.stderr.write(`${context}: ${(error as Error).message}\n`)
  },
})

const signal = { interrupted: false }
process.once('SIGINT', () => {
  signal.interrupted = true
})

await manager.ready()
const targets = new Map<ProjectionName, number>()
for (const name of names) {
  const { generation, already_running } = await manager.rebuild(name)
  targets.set(name, generation)
  say(`${name}: building generation ${generation}${already_running ? ' (joining a rebuild already under way)' : ''}`)
}

const started = Date.now()
while (!signal.interrupted) {
  await manager.refresh()
  const status = await manager.status()
  const pending = [...targets].filter(
    ([name, generation]) => manager.records(name).find((r) => r.generation === generation)?.state === 'building',
  )
  for (const [name] of pending) {
    const s = status.find((p) => p.name === name)
    say(
      `${name}: generation ${s?.rebuild?.generation ?? '?'} at position ${s?.rebuild?.position ?? 0}, ${s?.rebuild?.lag ?? '?'} behind`,
    )
  }
  if (pending.length === 0) break
  await new Promise((resolve) => setTimeout(resolve, 1000))
}
await manager.stop()
await client.close()
if (signal.interrupted) fail('interrupted: the rebuild stays pending and running service instances will finish it', 130)
const summary = [...targets].map(([name, generation]) => `${name} → generation ${generation}`).join(', ')
say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${summary} live`)

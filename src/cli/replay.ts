// `npm run replay -- <orders|skus|summaries|all>`: rebuilds read models from position 0
// into new generations while the service keeps answering from the current ones, switches
// each when it has caught up, and exits. Needs MONGODB_URI (the embedded store lives inside
// the service process: use POST /api/admin/projections/:name/rebuild there).
import { holderId } from '../consumers/leases.js'
import { startProjectionManager } from '../consumers/projection-manager.js'
import { createEventStore } from '../events/event-store.js'
import { loadDotEnv } from '../infra/dotenv.js'
import { PROJECTION_NAMES, type ProjectionName } from '../projections/projection.js'
import { managedProjections } from '../projections/registry.js'
import { configOrFail, fail, openStorageOrFail, say } from './terminal.js'

loadDotEnv()
const arg = process.argv[2]
const names: ProjectionName[] =
  arg === 'all'
    ? [...PROJECTION_NAMES]
    : PROJECTION_NAMES.includes(arg as ProjectionName)
      ? [arg as ProjectionName]
      : fail(`usage: npm run replay -- <${PROJECTION_NAMES.join('|')}|all>`, 2)

const config = configOrFail()
if (!config.mongodbUri)
  fail('replay needs MONGODB_URI; in the embedded mode use POST /api/admin/projections/:name/rebuild on the running service', 2)
const instance = `${config.instanceId}:replay`

const storage = await openStorageOrFail({
  mongodbUri: config.mongodbUri,
  mongodbDatabase: config.mongodbDatabase,
  instanceId: instance,
})
const store = createEventStore(storage.commitLog, { source: instance })
const manager = startProjectionManager({
  store,
  leases: storage.leases,
  generations: storage.generations,
  projections: managedProjections(storage.readModels, store),
  holder: holderId(instance, 'projections'),
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
await storage.close()
if (signal.interrupted) fail('interrupted: the rebuild stays pending and running service instances will finish it', 130)
const summary = [...targets].map(([name, generation]) => `${name} → generation ${generation}`).join(', ')
say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${summary} live`)

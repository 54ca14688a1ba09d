import fp from 'fastify-plugin'
import { loadDemoData } from '../../cli/demo-data.js'

/**
 * DEMO=1 (`npm run demo`): loads the demo data set (see `cli/demo-data.ts`) into an empty
 * store before the read models start, so they are built from it like from any other events.
 */
export default fp(
  async (app) => {
    if (!app.config.demo) return
    const started = performance.now()
    const loaded = await loadDemoData({
      log: app.storage.commitLog,
      source: app.config.instanceId,
      users: app.users,
      sequences: app.storage.sequences,
      admin: app.config.admin?.email ?? app.generatedAdmin?.email ?? 'demo@sales-orders.local',
    })
    if (loaded) app.log.info({ ...loaded, ms: Math.round(performance.now() - started) }, 'DEMO=1: demo data loaded')
    else app.log.warn('DEMO=1: the store already holds events, so the demo data was not loaded (start on an empty DATA_DIR)')
  },
  { name: 'demo-data', dependencies: ['config', 'storage', 'users'] },
)

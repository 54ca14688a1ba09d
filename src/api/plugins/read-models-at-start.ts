import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'
import { PROJECTION_NAMES } from '../../projections/projection.js'

const PROGRESS_EVERY_MS = 5000

/**
 * In the embedded mode the read models live in memory, so each start rebuilds them from the
 * event log (position 0 up). The service waits for that before it listens: what it answers
 * is then complete from its first request, as it was before the restart.
 */
export default fp(
  async (app) => {
    if (app.storage.kind !== 'embedded') return
    const head = await app.eventStore.headPosition()
    if (head === 0) return
    const started = performance.now()
    let reported = started
    for (const name of PROJECTION_NAMES) {
      for (;;) {
        const { reached, position } = await app.projections.waitFor(name, head, 1000)
        if (reached) break
        if (position === 0) await sleep(50) // (its subscription is only starting)
        if (performance.now() - reported < PROGRESS_EVERY_MS) continue
        reported = performance.now()
        app.log.info({ projection: name, position, head }, 'rebuilding read models from the event log')
      }
    }
    app.log.info({ events: head, ms: Math.round(performance.now() - started) }, 'read models rebuilt from the event log')
  },
  { name: 'read-models-at-start', dependencies: ['storage', 'event-store', 'projections'] },
)

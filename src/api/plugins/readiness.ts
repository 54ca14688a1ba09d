import fp from 'fastify-plugin'
import type { Dependency } from '../../infra/dependency-errors.js'

/** A dependency check; resolves when the dependency answers. */
export type ReadinessCheck = () => Promise<void>

export interface ReadinessStatus {
  /** Route traffic here: not shutting down, and every critical dependency answers. */
  ready: boolean
  checks: Partial<Record<Dependency, 'ok' | 'down'>>
  /** Non-critical dependencies that are down: the API still serves, with less (e.g. no live feed across instances). */
  degraded: Dependency[]
}

export interface Readiness {
  /** Registers a dependency check, run every second; `critical` ones make the instance not ready when down. */
  add(name: Dependency, check: ReadinessCheck, options: { critical: boolean }): void
  /** The last results, at once (never waits on a dependency). */
  status(): ReadinessStatus
  /** A request found `name` unreachable: counted as down until a check passes again. */
  failed(name: Dependency, error: unknown): void
  isDown(name: Dependency): boolean
  /** A dependency down right now (MongoDB first), to name in a 503 that waited on one. */
  firstDown(): Dependency | undefined
  /** Marks the instance as leaving: readiness 503 and new API requests refused. */
  beginShutdown(): void
  readonly shuttingDown: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    readiness: Readiness
  }
}

const CHECK_EVERY_MS = 1000
/** A check that has not answered by then counts as down (a hung server, not just a dead one). */
const CHECK_TIMEOUT_MS = 900

/**
 * Readiness that means "route traffic here" (DESIGN §9), answered from cached results so a
 * probe never waits on a hung server: each dependency is checked every second in the
 * background. Outages are logged once when they start and once when they end, whoever
 * noticed first (a check or a request), never once per request.
 */
export default fp(
  (app, _options, done) => {
    const checks = new Map<Dependency, { check: ReadinessCheck; critical: boolean }>()
    const down = new Map<Dependency, string>()
    let shuttingDown = false

    function markDown(name: Dependency, error: unknown): void {
      if (down.has(name)) return
      const reason = error instanceof Error ? error.message : String(error)
      down.set(name, reason)
      app.log.error({ dependency: name, err: error }, `${name} is unavailable; answering 503 where it is needed until it is back`)
    }
    function markUp(name: Dependency): void {
      if (!down.delete(name)) return
      app.log.info({ dependency: name }, `${name} is available again`)
    }

    async function probe(name: Dependency, check: ReadinessCheck): Promise<void> {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`))
        }, CHECK_TIMEOUT_MS)
      })
      try {
        await Promise.race([check(), timeout])
        markUp(name)
      } catch (error) {
        // A check that fails while the app closes its connections found them closed, not down.
        if (!shuttingDown) markDown(name, error)
      } finally {
        clearTimeout(timer)
      }
    }

    // Checks run one round at a time: a round that waits on a hung server delays the next.
    let round: Promise<void> | undefined
    const timer = setInterval(() => {
      round ??= Promise.all([...checks].map(([name, { check }]) => probe(name, check))).then(() => {
        round = undefined
      })
    }, CHECK_EVERY_MS)
    timer.unref()

    app.decorate('readiness', {
      add(name: Dependency, check: ReadinessCheck, options: { critical: boolean }) {
        checks.set(name, { check, critical: options.critical })
      },
      status(): ReadinessStatus {
        const names = [...checks.keys()]
        return {
          ready: !shuttingDown && names.every((name) => !(checks.get(name)?.critical && down.has(name))),
          checks: Object.fromEntries(names.map((name) => [name, down.has(name) ? 'down' : 'ok'])),
          degraded: names.filter((name) => down.has(name) && !checks.get(name)?.critical),
        }
      },
      failed(name: Dependency, error: unknown) {
        // A request that failed while the app closes its connections found them closed, not down.
        if (!shuttingDown) markDown(name, error)
      },
      isDown: (name: Dependency) => down.has(name),
      firstDown: () => (['mongodb', 'redis'] as const).find((name) => down.has(name)),
      beginShutdown() {
        shuttingDown = true
      },
      get shuttingDown() {
        return shuttingDown
      },
    })
    app.addHook('preClose', (hookDone) => {
      shuttingDown = true
      clearInterval(timer)
      hookDone()
    })
    app.addHook('onClose', async () => {
      await round
    })
    done()
  },
  { name: 'readiness' },
)

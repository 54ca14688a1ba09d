import fp from 'fastify-plugin'

/** A dependency check for `GET /health/ready`; resolves when the dependency is usable. */
export type ReadinessCheck = () => Promise<void>

export interface Readiness {
  /** Registers a named check (e.g. `mongodb`, `redis`). */
  add(name: string, check: ReadinessCheck): void
  /** Runs every check with a timeout; returns the failures by name. */
  check(): Promise<Record<string, string>>
  /** Names of the registered checks. */
  names(): string[]
  /** Marks the instance as leaving: readiness 503 and new API requests refused. */
  beginShutdown(): void
  readonly shuttingDown: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    readiness: Readiness
  }
}

const CHECK_TIMEOUT_MS = 2000

/** Collects readiness checks and turns them off (not ready) as soon as shutdown starts. */
export default fp(
  (app) => {
    const checks = new Map<string, ReadinessCheck>()
    let shuttingDown = false

    async function run(name: string, check: ReadinessCheck): Promise<[string, string] | null> {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`))
        }, CHECK_TIMEOUT_MS)
      })
      try {
        await Promise.race([check(), timeout])
        return null
      } catch (error) {
        return [name, error instanceof Error ? error.message : String(error)]
      } finally {
        clearTimeout(timer)
      }
    }

    app.decorate('readiness', {
      add(name: string, check: ReadinessCheck) {
        checks.set(name, check)
      },
      async check() {
        const results = await Promise.all([...checks].map(([name, check]) => run(name, check)))
        return Object.fromEntries(results.filter((r) => r !== null))
      },
      names: () => [...checks.keys()],
      beginShutdown() {
        shuttingDown = true
      },
      get shuttingDown() {
        return shuttingDown
      },
    })
    app.addHook('preClose', (done) => {
      shuttingDown = true
      done()
    })
  },
  { name: 'readiness' },
)

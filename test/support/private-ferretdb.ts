import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { promisify } from 'node:util'
import { eventually } from './wait.js'

const run = promisify(execFile)

/**
 * A FerretDB of the test's own (scripts/ferretdb.sh start: a fresh PostgreSQL database on a
 * free port), so a test can stall it (SIGSTOP), stop it and start it again on the same port
 * with the same data — what the shared one must never be put through.
 */
export interface PrivateFerretDb {
  /** mongodb://127.0.0.1:<port>/<database> */
  uri(database: string): string
  /** SIGSTOP: connections stay open and nothing answers (a stuck host). */
  pause(): void
  resume(): void
  /** Kills the server (connections refused); `start` brings it back on the same port and data. */
  kill(): Promise<void>
  start(): Promise<void>
  /** Stops it and drops its storage. */
  dispose(): Promise<void>
}

/**
 * PostgreSQL connections a private FerretDB may pool: the shared FerretDB keeps its 50 and
 * PostgreSQL allows 100, so two private ones (two test files at once) fit beside it.
 */
const PRIVATE_PG_POOL = 20

export async function privateFerretDb(): Promise<PrivateFerretDb> {
  const { stdout } = await run('bash', ['scripts/ferretdb.sh', 'start'], {
    env: { ...process.env, FERRETDB_PG_POOL: String(PRIVATE_PG_POOL) },
  })
  const vars = Object.fromEntries(
    [...stdout.matchAll(/(\w+)=(\S*)/g)].map((match) => [match[1] ?? '', match[2] ?? '']),
  ) as Record<'MONGODB_URI' | 'FERRETDB_PID' | 'FERRETDB_DIR' | 'FERRETDB_PG_DB', string>
  const port = Number(new URL(vars.MONGODB_URI).port)
  let pid = Number(vars.FERRETDB_PID)
  // The exact command line, to start it again the same way after a kill.
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  let restarted: ChildProcess | undefined

  const answers = () =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => {
        resolve(false)
      })
    })

  return {
    uri: (database) => `mongodb://127.0.0.1:${port}/${database}`,
    pause: () => process.kill(pid, 'SIGSTOP'),
    resume: () => process.kill(pid, 'SIGCONT'),
    async kill() {
      process.kill(pid, 'SIGCONT')
      process.kill(pid, 'SIGKILL')
      await eventually('FerretDB to stop listening', async () => !(await answers()), 10_000, 50)
    },
    async start() {
      const [command = '', ...args] = argv
      restarted = spawn(command, args, { stdio: 'ignore' })
      pid = restarted.pid ?? 0
      await eventually('FerretDB to listen again', answers, 10_000, 50)
    },
    async dispose() {
      try {
        process.kill(pid, 'SIGCONT')
      } catch {
        // already gone
      }
      await run('bash', ['scripts/ferretdb.sh', 'stop'], {
        env: { ...process.env, FERRETDB_PID: String(pid), FERRETDB_DIR: vars.FERRETDB_DIR, FERRETDB_PG_DB: vars.FERRETDB_PG_DB },
      })
    },
  }
}

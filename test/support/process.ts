import { type ChildProcess, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { onTestFinished } from 'vitest'
import { assertTestDatabase } from './servers.js'
import { within } from './wait.js'

// Processes a test launches see only what it gives them: PATH, LOG_LEVEL, the variables it
// passes, and DOTENV=off (the entry points then skip ./.env). Each is tied to the test that
// started it and SIGKILLed when that test ends, passed or failed.

/** The repository root: entry paths are relative to it, whatever the child's working directory. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** tsx's loader by absolute URL, so a child started in another directory still finds it. */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
/** How long a killed process may take to be gone. */
const STOP_TIMEOUT_MS = 10_000
/** `runToExit`'s default bound: below vitest's 60 s test timeout, so a hang reports the child's output. */
const RUN_TIMEOUT_MS = 45_000

export interface LaunchOptions {
  /** The child's working directory (default: the repository root). */
  cwd?: string
  /** Let the child read `<cwd>/.env` (default: no, it runs with DOTENV=off). */
  readDotenv?: boolean
}

export interface LaunchedProcess {
  child: ChildProcess
  /** All it printed so far, stdout and stderr interleaved. */
  output(): string
  /** Its exit code once it has exited and its output is complete (null if a signal ended it). */
  exited: Promise<number | null>
  /** SIGKILLs it if still running and waits, bounded, until it is gone. Also runs when the test ends. */
  stop(): Promise<void>
}

export interface ServiceProcess extends LaunchedProcess {
  /** Base URL once the process logged that it listens; rejects if it exits first. */
  url: Promise<string>
}

function launch(
  entry: string,
  args: readonly string[],
  env: Record<string, string>,
  logLevel: string,
  options: LaunchOptions,
): LaunchedProcess {
  if (env.MONGODB_URI !== undefined) assertTestDatabase(env.MONGODB_URI, `to launch ${entry}`)
  const child = spawn(process.execPath, ['--import', TSX_LOADER, resolve(ROOT, entry), ...args], {
    cwd: options.cwd ?? ROOT,
    // METRICS_PORT 0 unless a test says: processes running side by side never fight over 9100.
    // DATA_DIR :memory: unless a test gives a directory of its own: none writes ./data or fights over its lock.
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: logLevel,
      METRICS_PORT: '0',
      DATA_DIR: ':memory:',
      ...env,
      ...(options.readDotenv ? {} : { DOTENV: 'off' }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const collect = (chunk: Buffer) => {
    output += chunk.toString()
  }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const exited = new Promise<number | null>((resolve) => {
    child.once('close', (code) => {
      resolve(code)
    })
    child.once('error', (error) => {
      output += `\n[could not launch ${entry}: ${error.message}]`
      resolve(null)
    })
  })
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await within(exited, `${entry} (pid ${child.pid ?? '?'}) to exit after SIGKILL`, STOP_TIMEOUT_MS)
  }
  try {
    onTestFinished(stop)
  } catch (error) {
    child.kill('SIGKILL')
    throw new Error(`launch ${entry} inside a test, which then stops it: ${(error as Error).message}`, { cause: error })
  }
  return { child, output: () => output, exited, stop }
}

/** Starts a TypeScript entry file as a real process, as a service: `url` resolves once it listens. */
export function startProcess(entry: string, env: Record<string, string>, options: LaunchOptions = {}): ServiceProcess {
  const launched = launch(entry, [], env, 'info', options)
  const url = new Promise<string>((resolve, reject) => {
    const onData = () => {
      const match = /Server listening at (http:\/\/[^\s"]+)/.exec(launched.output())
      if (match?.[1]) resolve(match[1])
    }
    launched.child.stdout?.on('data', onData)
    launched.child.stderr?.on('data', onData)
    void launched.exited.then(() => {
      reject(new Error(`process exited before listening:\n${launched.output()}`))
    })
  })
  url.catch(() => undefined)
  return { ...launched, url }
}

/**
 * Runs a TypeScript entry file to completion; resolves with its exit code and all it printed.
 * After `timeoutMs` it is SIGKILLed and the promise rejects with what it had printed.
 */
export async function runToExit(
  entry: string,
  args: string[],
  env: Record<string, string>,
  options: LaunchOptions & { timeoutMs?: number } = {},
): Promise<{ code: number | null; output: string }> {
  const launched = launch(entry, args, env, 'warn', options)
  const timeoutMs = options.timeoutMs ?? RUN_TIMEOUT_MS
  const timedOut = Symbol('timed out')
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<typeof timedOut>((resolve) => {
    timer = setTimeout(() => {
      resolve(timedOut)
    }, timeoutMs)
  })
  const code = await Promise.race([launched.exited, deadline]).finally(() => {
    clearTimeout(timer)
  })
  if (code === timedOut) {
    await launched.stop()
    throw new Error(
      `${[entry, ...args].join(' ')} did not exit within ${timeoutMs} ms (killed); it printed:\n${launched.output()}`,
    )
  }
  return { code, output: launched.output() }
}

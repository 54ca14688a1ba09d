import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import autocannon from 'autocannon'

/**
 * Starts a bench server script in its own process and waits for its one-line JSON hello;
 * `nodeArgs` go to node before the script (e.g. `--cpu-prof`, `--expose-gc`).
 */
export async function startBenchServer(
  script: string,
  env: Record<string, string> = {},
  nodeArgs: readonly string[] = [],
): Promise<{ hello: unknown; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout })
  const hello = await new Promise<unknown>((resolve, reject) => {
    lines.once('line', (line) => {
      resolve(JSON.parse(line))
    })
    child.once('exit', (code) => {
      reject(new Error(`${script} exited with ${String(code)} before it was ready`))
    })
  })
  return {
    hello,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => {
          resolve()
        })
        child.kill('SIGTERM')
      }),
  }
}

export interface LoadResult {
  /** Responses with a 2xx status. */
  ok: number
  requestsPerSecond: number
  p50: number
  p99: number
  non2xx: number
  errors: number
}

/** A bounded autocannon run against 127.0.0.1. */
export async function load(options: {
  url: string
  method?: 'POST' | 'GET'
  headers?: Record<string, string>
  body?: string
  connections: number
  seconds: number
}): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    method: options.method ?? 'GET',
    connections: options.connections,
    duration: options.seconds,
    headers: options.headers ?? {},
    ...(options.body === undefined ? {} : { body: options.body }),
  })
  return {
    ok: result['2xx'],
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  }
}

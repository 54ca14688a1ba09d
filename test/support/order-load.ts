import { randomUUID } from 'node:crypto'
import { sleep } from './wait.js'

/** One HTTP answer the load got (or did not get: `status` 0 when the client gave up waiting). */
export interface LoadResponse {
  key: string
  status: number
  code?: string
  ms: number
  retryAfter?: string
}

export interface LoadReport {
  responses: LoadResponse[]
  /** Order ids acknowledged (201, or 200 for a replay) per Idempotency-Key. */
  acknowledged: Map<string, Set<string>>
  /** Keys never acknowledged by the end (still failing after their retries). */
  unacknowledged: string[]
}

/**
 * Places orders at `perSecond` until `stop` resolves, each with its own Idempotency-Key and
 * the key as customer name; a 503 is retried with the same key after `Retry-After` (as a
 * client should), until it is acknowledged or `retryForMs` after `stop`. Every request
 * gives up after `clientTimeoutMs`, recorded as status 0: a request that hung.
 */
export async function orderLoad(options: {
  url: string
  token: string
  sku: string
  /** The sales rep the orders are for (the token is an admin's). */
  salesRep: string
  perSecond: number
  stop: Promise<void>
  clientTimeoutMs: number
  retryForMs?: number
}): Promise<LoadReport> {
  const report: LoadReport = { responses: [], acknowledged: new Map(), unacknowledged: [] }
  const state = { stopped: false, stoppedAt: 0 } // (set when `stop` resolves)
  void options.stop.then(() => {
    state.stopped = true
    state.stoppedAt = Date.now()
  })

  async function attempt(key: string): Promise<boolean> {
    const started = Date.now()
    try {
      const response = await fetch(`${options.url}/api/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({
          customer: { name: key },
          items: [{ sku: options.sku, quantity: 1 }],
          sales_rep: options.salesRep,
        }),
        signal: AbortSignal.timeout(options.clientTimeoutMs),
      })
      const body = (await response.json()) as { order_id?: string; code?: string }
      const retryAfter = response.headers.get('retry-after') ?? undefined
      report.responses.push({
        key,
        status: response.status,
        ms: Date.now() - started,
        ...(body.code === undefined ? {} : { code: body.code }),
        ...(retryAfter === undefined ? {} : { retryAfter }),
      })
      if ((response.status === 201 || response.status === 200) && body.order_id) {
        const ids = report.acknowledged.get(key) ?? new Set<string>()
        ids.add(body.order_id)
        report.acknowledged.set(key, ids)
        return true
      }
      return false
    } catch {
      report.responses.push({ key, status: 0, ms: Date.now() - started })
      return false
    }
  }

  async function order(): Promise<void> {
    const key = `load-${randomUUID()}`
    while (!(await attempt(key))) {
      if (state.stopped && Date.now() - state.stoppedAt > (options.retryForMs ?? 20_000)) {
        report.unacknowledged.push(key)
        return
      }
      await sleep(1000)
    }
  }

  const inFlight: Promise<void>[] = []
  while (!state.stopped) {
    inFlight.push(order())
    await sleep(1000 / options.perSecond)
  }
  await Promise.all(inFlight)
  return report
}

/** How `/health/ready` answered, polled every 250 ms until `stop` resolves. */
export async function pollReadiness(
  url: string,
  stop: Promise<void>,
): Promise<{ at: number; status: number; ms: number; degraded?: string[] }[]> {
  const answers: { at: number; status: number; ms: number; degraded?: string[] }[] = []
  const state = { stopped: false }
  void stop.then(() => {
    state.stopped = true
  })
  while (!state.stopped) {
    const started = Date.now()
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) })
      const body = (await response.json()) as { degraded?: string[] }
      answers.push({
        at: started,
        status: response.status,
        ms: Date.now() - started,
        ...(body.degraded ? { degraded: body.degraded } : {}),
      })
    } catch {
      answers.push({ at: started, status: 0, ms: Date.now() - started })
    }
    await sleep(250)
  }
  return answers
}

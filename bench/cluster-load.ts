import { randomUUID } from 'node:crypto'

/** What a load balancer in front of the cluster saw. */
export interface ClusterLoadResult {
  sent: number
  ok: number
  failed: number
  /** Failures by final status ("timeout", "network" or the HTTP status). */
  failures: Record<string, number>
  /** Successful orders by the instance that answered 201. */
  byInstance: number[]
  /** The order ids acknowledged with 201. */
  orderIds: string[]
  seconds: number
  p50: number
  p99: number
}

export interface ClusterTarget {
  bases: readonly string[]
  token: string
  sku: string
  /** Instances to skip (killed), by index into `bases`. */
  down?: ReadonlySet<number>
}

const REQUEST_TIMEOUT_MS = 20_000

/**
 * Orders sent round-robin over the instances, like a load balancer: each POST carries an
 * Idempotency-Key, and a request that fails (no answer, 5xx) is sent once more, with the
 * same key, to the next instance.
 */
export class ClusterLoad {
  private next = 0
  private readonly latencies: number[] = []
  private readonly result: Omit<ClusterLoadResult, 'seconds' | 'p50' | 'p99'>

  constructor(private readonly target: ClusterTarget) {
    this.result = { sent: 0, ok: 0, failed: 0, failures: {}, byInstance: target.bases.map(() => 0), orderIds: [] }
  }

  /** Opens the load at `perSecond` orders/s for `seconds` (open loop: the rate does not wait for answers). */
  async atRate(perSecond: number, seconds: number): Promise<ClusterLoadResult> {
    const started = performance.now()
    const inFlight: Promise<void>[] = []
    for (let i = 0; i < perSecond * seconds; i++) {
      const due = started + (i * 1000) / perSecond
      const wait = due - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      inFlight.push(this.placeOne())
    }
    await Promise.all(inFlight)
    return this.summary(seconds)
  }

  /** `workers` clients each placing orders one after another for `seconds` (closed loop: the highest rate sustained). */
  async saturate(workers: number, seconds: number): Promise<ClusterLoadResult> {
    const until = performance.now() + seconds * 1000
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (performance.now() < until) await this.placeOne()
      }),
    )
    return this.summary(seconds)
  }

  private async placeOne(): Promise<void> {
    const key = randomUUID()
    const body = JSON.stringify({ customer: { name: 'Cluster Ltd' }, items: [{ sku: this.target.sku, quantity: 1 }] })
    const start = performance.now()
    this.result.sent++
    let outcome = await this.post(this.pick(), key, body)
    if (outcome.retry) outcome = await this.post(this.pick(), key, body)
    this.latencies.push(performance.now() - start)
    if (outcome.orderId !== undefined) {
      this.result.ok++
      this.result.orderIds.push(outcome.orderId)
      this.result.byInstance[outcome.instance] = (this.result.byInstance[outcome.instance] ?? 0) + 1
    } else {
      this.result.failed++
      this.result.failures[outcome.status] = (this.result.failures[outcome.status] ?? 0) + 1
    }
  }

  private pick(): number {
    const { bases, down } = this.target
    for (let tries = 0; tries < bases.length; tries++) {
      const instance = this.next++ % bases.length
      if (!down?.has(instance)) return instance
    }
    throw new Error('every instance is down')
  }

  private async post(
    instance: number,
    key: string,
    body: string,
  ): Promise<{ instance: number; orderId?: string; status: string; retry: boolean }> {
    try {
      const response = await fetch(`${this.target.bases[instance]}/api/orders`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.target.token}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      })
      const payload = (await response.json()) as { order_id?: string; code?: string }
      if (response.status === 201 && payload.order_id) return { instance, orderId: payload.order_id, status: '201', retry: false }
      return { instance, status: `${response.status} ${payload.code ?? ''}`.trim(), retry: response.status >= 500 }
    } catch (error) {
      const status = (error as Error).name === 'TimeoutError' ? 'timeout' : 'network'
      return { instance, status, retry: true }
    }
  }

  private summary(seconds: number): ClusterLoadResult {
    const sorted = [...this.latencies].sort((a, b) => a - b)
    const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0)
    return { ...this.result, seconds, p50: at(0.5), p99: at(0.99) }
  }
}

import { io } from 'socket.io-client'
import { startBenchServer } from './http.js'
import { type Row, printTable } from './report.js'
import { redisForBench } from './servers.js'

/** The sales rep the bench's admin places orders for (the bench server creates it). */
const REP = 'rep@bench.local'

const CLIENTS = 100
const ORDERS = 200
const ORDERS_PER_SECOND = 20

/** End-to-end latency, command accepted (event timestamp) → received by each of 100 Socket.IO clients. */
export async function benchRealtime(): Promise<void> {
  const rows: Row[] = []
  for (const [what, env, target] of [
    ['embedded (in-process feed)', {}, 50],
    ['through Redis (relay → stream → hub)', { REDIS_URI: redisForBench() }, 100],
  ] as const) {
    const server = await startBenchServer('bench/realtime-server.ts', env)
    const { port, token, sku } = server.hello as { port: number; token: string; sku: string }
    const url = `http://127.0.0.1:${port}`
    const latencies: number[] = []
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        const socket = io(url, { query: { token }, transports: ['websocket'], reconnection: false })
        socket.on('new_order', (event: { metadata: { timestamp: string } }) => {
          latencies.push(Date.now() - Date.parse(event.metadata.timestamp))
        })
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', () => {
            resolve()
          })
          socket.once('connect_error', reject)
        })
        return socket
      }),
    )
    try {
      const body = JSON.stringify({ customer: { name: 'Bench Ltd' }, items: [{ sku, quantity: 1 }], sales_rep: REP })
      const started = Date.now()
      for (let i = 0; i < ORDERS; i++) {
        const response = await fetch(`${url}/api/orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
        })
        if (response.status !== 201) throw new Error(`POST /api/orders: ${response.status}`)
        const due = started + ((i + 1) * 1000) / ORDERS_PER_SECOND
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())))
      }
      const deadline = Date.now() + 10_000
      while (latencies.length < CLIENTS * ORDERS && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
      if (latencies.length !== CLIENTS * ORDERS) throw new Error(`received ${latencies.length} of ${CLIENTS * ORDERS} deliveries`)
      latencies.sort((x, y) => x - y)
      const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
      rows.push({ what: `${what}: p50`, figure: `${at(0.5)} ms` })
      rows.push({
        what: `${what}: p99 (target <= ${target} ms)`,
        figure: `${at(0.99)} ms`,
        baseline: `${target} ms target`,
        ratio: at(0.99) / target,
      })
    } finally {
      for (const socket of clients) socket.close()
      await server.stop()
    }
  }
  printTable(
    `Real time: accepted → delivered, ${CLIENTS} clients, ${ORDERS} orders at ${ORDERS_PER_SECOND}/s (${CLIENTS * ORDERS} deliveries each)`,
    rows,
  )
}

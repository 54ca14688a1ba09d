import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { io } from 'socket.io-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sharedJwtSecret } from '../support/auth.js'
import { startProcess } from '../support/process.js'
import { createTestDatabase, redisNamespace, redisUri, skipWithoutServers, type TestDatabase } from '../support/servers.js'
import { tcpBalancer } from '../support/tcp-balancer.js'
import { eventually, sleep } from '../support/wait.js'

const ADMIN = { email: 'admin@test.local', password: 'admin-password-for-tests' }
const SHUTDOWN_TIMEOUT_MS = 10_000

/** One POST on a connection of its own (as a load balancer retries a request elsewhere), never hanging. */
function post(
  url: string,
  path: string,
  token: string,
  body: object,
): Promise<{ status: number; connection?: string; json: unknown }> {
  return new Promise((resolve) => {
    const payload = JSON.stringify(body)
    const req = request(
      `${url}${path}`,
      {
        method: 'POST',
        agent: false,
        timeout: 10_000,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        let text = ''
        res.on('data', (chunk: Buffer) => (text += chunk.toString()))
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, json: JSON.parse(text || 'null') })
        })
      },
    )
    req.on('error', (error) => {
      resolve({ status: 0, json: error.message })
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.end(payload)
  })
}

describe.skipIf(skipWithoutServers)('a rolling restart behind a load balancer (real processes)', () => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase('rolling')
  })
  afterAll(async () => {
    await database.drop()
  })

  it('SIGTERM under load: only retryable 503s, exit 0 in time, and the README Socket.IO client resumes on the other instance with every event once', async () => {
    const namespace = redisNamespace('rolling')
    const env = {
      PORT: '0',
      MONGODB_URI: database.uri,
      REDIS_URI: redisUri ?? '',
      ...namespace,
      JWT_SECRET: sharedJwtSecret(),
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      API_RATE_LIMIT: '1000000/1h',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    }
    const a = startProcess('src/main.ts', { ...env, INSTANCE_ID: 'rolling-a' })
    const b = startProcess('src/main.ts', { ...env, INSTANCE_ID: 'rolling-b' })
    const ports = (await Promise.all([a.url, b.url])).map((url) => Number(new URL(url).port))
    const balancer = await tcpBalancer(ports)
    try {
      const login = await post(balancer.url, '/api/auth/token', '', ADMIN)
      const token = (login.json as { access_token: string }).access_token
      const sku = `ROLL-${randomBytes(3).toString('hex').toUpperCase()}`
      const created = await post(balancer.url, '/api/skus', token, {
        sku,
        name: 'Rolling',
        unit_price: 500,
        currency: 'INR',
        tax_rate_bp: 0,
      })
      expect(created.status).toBe(201)
      const rep = await post(balancer.url, '/api/users', token, {
        email: 'rolling-rep@test.local',
        name: 'Rolling rep',
        password: 'rolling-rep-password',
        role: 'sales_rep',
      })
      expect(rep.status).toBe(201)

      // The README's client, verbatim in its logic: auth as a function giving the last position.
      let lastPosition = 0
      const seen = (e: { position: number }) => {
        lastPosition = Math.max(lastPosition, e.position)
      }
      const received: string[] = []
      const disconnects: string[] = []
      const socket = io(balancer.url, {
        transports: ['websocket'],
        auth: (cb) => {
          cb({ token, after: lastPosition })
        },
      })
      socket.on('new_order', (e: { position: number; data: { order_id: string } }) => {
        seen(e)
        received.push(e.data.order_id)
      })
      socket.on('order_event', seen)
      socket.on('sku_event', seen)
      socket.on('disconnect', (reason) => disconnects.push(reason))
      await new Promise<void>((resolve) =>
        socket.once('connect', () => {
          resolve()
        }),
      )
      const socketBackend = balancer.routed.at(-1)
      const victim = socketBackend === ports[0] ? a : b

      // Orders through the balancer, each retried once elsewhere on a retryable 503 (as a load balancer does).
      const outcomes: { status: number; retried: boolean; connection?: string }[] = []
      const acknowledged: string[] = []
      const loadState = { stopped: false } // (set once the victim is gone)
      const load = (async () => {
        const inFlight: Promise<void>[] = []
        for (let i = 0; !loadState.stopped; i++) {
          inFlight.push(
            (async () => {
              const body = {
                customer: { name: `Rolling ${i}` },
                items: [{ sku, quantity: 1 }],
                sales_rep: 'rolling-rep@test.local',
              }
              let response = await post(balancer.url, '/api/orders', token, body)
              let retried = false
              if (response.status === 503 && response.connection === 'close') {
                retried = true
                response = await post(balancer.url, '/api/orders', token, body)
              }
              outcomes.push({
                status: response.status,
                retried,
                ...(response.connection ? { connection: response.connection } : {}),
              })
              if (response.status === 201) acknowledged.push((response.json as { order_id: string }).order_id)
            })(),
          )
          await sleep(100)
        }
        await Promise.all(inFlight)
      })()

      await sleep(2000)
      const signalled = Date.now()
      victim.child.kill('SIGTERM')
      const code = await victim.exited
      const exitMs = Date.now() - signalled
      await sleep(3000)
      loadState.stopped = true
      await load

      await eventually(
        () => `every acknowledged order delivered (${received.length} of ${acknowledged.length})`,
        () => acknowledged.every((id) => received.includes(id)),
        15_000,
      )
      const disconnectReasons = [...disconnects]
      socket.close()
      const byStatus: Record<number, number> = {}
      for (const o of outcomes) byStatus[o.status] = (byStatus[o.status] ?? 0) + 1
      console.log(
        `rolling restart: victim exited ${String(code)} after ${exitMs} ms; ${outcomes.length} orders ${JSON.stringify(byStatus)}, ` +
          `${outcomes.filter((o) => o.retried).length} retried after a 503 with Connection: close; ` +
          `socket disconnects ${JSON.stringify(disconnectReasons)}, ${received.length} new_order received for ${acknowledged.length} acknowledged`,
      )
      expect(code).toBe(0)
      expect(exitMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS)
      expect(outcomes.every((o) => o.status === 201)).toBe(true) // every 503 was retryable, and its retry succeeded
      expect(disconnectReasons).toEqual(['transport close']) // so socket.io-client reconnected by itself
      expect(new Set(received).size).toBe(received.length) // none twice
      expect(received.filter((id) => acknowledged.includes(id))).toHaveLength(acknowledged.length)
    } finally {
      await balancer.close()
    }
  }, 90_000)
})

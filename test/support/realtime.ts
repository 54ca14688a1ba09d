import { type ChildProcess, spawn } from 'node:child_process'
import { connect, createServer } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { type Socket, io } from 'socket.io-client'
import WebSocket from 'ws'
import type { FeedEvent } from '../../src/realtime/feed-stream.js'
import { type LogCapture, buildTestApp } from './app.js'
import { eventually, within } from './wait.js'

/** An app listening on a free port of 127.0.0.1, for clients over real sockets. */
export async function listeningApp(
  env: Record<string, string>,
  options: { captureLogs?: boolean } = {},
): Promise<{ app: FastifyInstance; url: string; logs: LogCapture }> {
  const { app, logs } = await buildTestApp({ env: { API_RATE_LIMIT: '1000000/1m', ...env }, ...options })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  return { app, url: `http://127.0.0.1:${address.port}`, logs }
}

/** What a client received, in order, with the wall-clock time of each. */
export interface Received {
  name: string
  payload: FeedEvent | { reason: string }
  at: number
}

export interface FeedClient {
  received: Received[]
  events(name: string): FeedEvent[]
  /** Resolves once `count` messages named `name` have arrived (fails after `ms`). */
  waitFor(name: string, count: number, ms?: number): Promise<void>
  close(): void
}

function collector(): Pick<FeedClient, 'received' | 'events' | 'waitFor'> {
  const received: Received[] = []
  const events = (name: string) => received.filter((r) => r.name === name).map((r) => r.payload as FeedEvent)
  return {
    received,
    events,
    async waitFor(name, count, ms = 15_000) {
      const arrived = () => received.filter((r) => r.name === name).length
      await eventually(
        () => `${count} ${name} (${arrived()} arrived)`,
        () => arrived() >= count,
        ms,
      )
    },
  }
}

/** A Socket.IO client as the seed's README connects: `io(url, {query: {token}, transports: ['websocket']})`. */
export async function socketClient(
  url: string,
  options: { token?: string; after?: number; viaAuth?: boolean } = {},
): Promise<FeedClient & { socket: Socket }> {
  const base = collector()
  const socket = options.viaAuth
    ? io(url, {
        auth: { token: options.token, ...(options.after === undefined ? {} : { after: options.after }) },
        transports: ['websocket'],
        reconnection: false,
      })
    : io(url, {
        query: { token: options.token ?? '', ...(options.after === undefined ? {} : { after: String(options.after) }) },
        transports: ['websocket'],
        reconnection: false,
      })
  for (const name of ['new_order', 'order_event', 'sku_event', 'resync', 'token_expired', 'session_revoked']) {
    socket.on(name, (payload: FeedEvent) => base.received.push({ name, payload, at: Date.now() }))
  }
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => {
      resolve()
    })
    socket.once('connect_error', (error) => {
      reject(error)
    })
  })
  return { ...base, socket, close: () => socket.close() }
}

/** The refusal a Socket.IO client gets, or null if it connected. */
export async function socketRefusal(url: string, token: string | undefined): Promise<{ message: string; data: unknown } | null> {
  try {
    const client = await socketClient(url, token === undefined ? {} : { token })
    client.close()
    return null
  } catch (error) {
    return { message: (error as Error).message, data: (error as { data?: unknown }).data }
  }
}

/** WebSocket messages that are not events. */
const CONTROL_MESSAGES = new Set(['resync', 'token_expired', 'session_revoked'])

/** A plain WebSocket client of `GET /api/events/ws`; `closed` resolves with the close code and reason. */
export async function wsClient(
  url: string,
  options: { token?: string; after?: number } = {},
): Promise<FeedClient & { socket: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const base = collector()
  const query = new URLSearchParams({
    ...(options.token ? { token: options.token } : {}),
    ...(options.after === undefined ? {} : { after: String(options.after) }),
  })
  const socket = new WebSocket(`${url.replace('http', 'ws')}/api/events/ws?${query.toString()}`)
  socket.on('message', (message: Buffer) => {
    const payload = JSON.parse(message.toString()) as FeedEvent
    base.received.push({ name: payload.type, payload, at: Date.now() })
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.once('close', (code, reason) => {
      resolve({ code, reason: reason.toString() })
    })
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => {
      resolve()
    })
    socket.once('unexpected-response', (_request, response) => {
      reject(new Error(`HTTP ${response.statusCode}`))
    })
    socket.once('error', reject)
  })
  return {
    ...base,
    socket,
    closed,
    events: (name: string) =>
      name === '*'
        ? base.received.filter((r) => !CONTROL_MESSAGES.has(r.name)).map((r) => r.payload as FeedEvent)
        : base.events(name),
    close: () => {
      socket.close()
    },
  }
}

/** The HTTP status a WebSocket upgrade is refused with, or null if it opened. */
export async function wsRefusal(url: string, token: string | undefined): Promise<number | null> {
  try {
    const client = await wsClient(url, token === undefined ? {} : { token })
    client.close()
    return null
  } catch (error) {
    return Number((error as Error).message.replace('HTTP ', ''))
  }
}

/** A private redis-server on a free port (no persistence), for tests that stop or stall it; `stop` it in afterEach. */
export interface PrivateRedis {
  uri: string
  port: number
  /** SIGSTOP: the server hangs, connections stay open (a partition, a stuck host). */
  pause(): void
  resume(): void
  /** Kills it and starts a new, empty one on the same port (a restart that lost its data). */
  restart(): Promise<void>
  stop(): Promise<void>
}

export async function privateRedis(): Promise<PrivateRedis> {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => {
        resolve(typeof address === 'object' && address ? address.port : 0)
      })
    })
  })
  let child = await startRedisServer(port)
  const kill = async () => {
    const gone = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve()
      child.once('exit', () => {
        resolve()
      })
    })
    child.kill('SIGKILL')
    await within(gone, `the private redis-server on port ${port} to exit`, 10_000)
  }
  return {
    uri: `redis://127.0.0.1:${port}`,
    port,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async restart() {
      await kill()
      child = await startRedisServer(port)
    },
    stop: kill,
  }
}

async function startRedisServer(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: 'ignore',
  })
  const accepts = () =>
    new Promise<boolean>((resolve) => {
      const probe = connect(port, '127.0.0.1')
      probe.once('connect', () => {
        probe.destroy()
        resolve(true)
      })
      probe.once('error', () => {
        resolve(false)
      })
    })
  try {
    await eventually(`the private redis-server to listen on port ${port}`, accepts, 10_000, 50)
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  return child
}

import { type Socket, io } from 'socket.io-client'
import type { Storage } from '../src/storage/open-storage.js'

/** A consumer's progress as the lease records tell it: who holds it and how far behind the head it is. */
export interface ConsumerProgress {
  name: string
  holder: string
  lag: number
}

const PROJECTIONS = ['orders', 'summaries', 'skus'] as const

/** Reads each singleton consumer's lease (relay and every live projection generation) straight from the store. */
export async function consumerProgress(storage: Storage): Promise<ConsumerProgress[]> {
  const head = await storage.commitLog.lastPosition()
  const names = ['relay']
  for (const projection of PROJECTIONS) {
    const live = (await storage.generations.list(projection)).find((record) => record.state === 'live')
    if (live) names.push(`projection:${projection}#${live.generation}`)
  }
  return Promise.all(
    names.map(async (name) => {
      const lease = await storage.leases.latest(name)
      return { name, holder: lease?.holder ?? '', lag: head - (lease?.position ?? 0) }
    }),
  )
}

/**
 * An admin's Socket.IO client behind the load balancer: when its instance goes away it
 * connects to the next one with `auth.after` = the last position it received, as the
 * README tells clients to. Counts every `new_order` by order id.
 */
export class FeedWatcher {
  readonly received = new Map<string, number>()
  resyncs = 0
  private last = 0
  private socket: Socket | undefined
  private next = 0
  private closed = false

  constructor(
    private readonly bases: () => readonly string[],
    private readonly token: string,
  ) {}

  async start(after: number): Promise<void> {
    this.last = after
    await this.connect()
  }

  close(): void {
    this.closed = true
    this.socket?.close()
  }

  private connect(): Promise<void> {
    const bases = this.bases()
    const base = bases[this.next++ % bases.length] ?? ''
    const socket = io(base, { transports: ['websocket'], reconnection: false, auth: { token: this.token, after: this.last } })
    this.socket = socket
    socket.on('new_order', (event: { position: number; data: { order_id: string } }) => {
      this.last = Math.max(this.last, event.position)
      this.received.set(event.data.order_id, (this.received.get(event.data.order_id) ?? 0) + 1)
    })
    socket.on('order_event', (event: { position: number }) => {
      this.last = Math.max(this.last, event.position)
    })
    socket.on('resync', () => {
      this.resyncs++
    })
    socket.on('disconnect', () => {
      if (!this.closed) setTimeout(() => void this.connect().catch(() => undefined), 200)
    })
    return new Promise((resolve, reject) => {
      socket.once('connect', () => {
        resolve()
      })
      socket.once('connect_error', (error) => {
        socket.close()
        if (this.closed) {
          reject(error)
          return
        }
        setTimeout(() => void this.connect().then(resolve, reject), 200)
      })
    })
  }
}

import { type Socket, connect, createServer } from 'node:net'

/**
 * A TCP load balancer in front of service instances, as a rolling deploy sees one: each new
 * connection goes to the next backend in turn, skipping a backend that refuses it (one that
 * has stopped listening). Connections are spliced byte for byte, WebSocket upgrades included.
 */
export interface TcpBalancer {
  url: string
  /** The backend port each connection went to, in order. */
  routed: number[]
  close(): Promise<void>
}

export async function tcpBalancer(backends: readonly number[]): Promise<TcpBalancer> {
  const routed: number[] = []
  const open = new Set<Socket>()
  let next = 0

  const server = createServer((client) => {
    client.pause() // hold what the client sends until a backend is connected
    open.add(client)
    client.on('close', () => open.delete(client))
    client.on('error', () => undefined)
    const start = next++
    const attempt = (tries: number) => {
      const port = backends[(start + tries) % backends.length] ?? 0
      const upstream = connect(port, '127.0.0.1')
      let connected = false
      upstream.once('connect', () => {
        connected = true
        routed.push(port)
        open.add(upstream)
        upstream.on('close', () => {
          open.delete(upstream)
          client.destroy()
        })
        client.on('close', () => upstream.destroy())
        upstream.on('error', () => undefined)
        client.pipe(upstream)
        upstream.pipe(client)
      })
      upstream.once('error', () => {
        if (!connected && tries + 1 < backends.length) attempt(tries + 1)
        else client.destroy()
      })
    }
    attempt(0)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    routed,
    async close() {
      for (const socket of open) socket.destroy()
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve()
        }),
      )
    },
  }
}

import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'

/** One envelope as it reached the ingest: its raw text, and its items parsed. */
export interface ReceivedEnvelope {
  path: string
  raw: string
  header: Record<string, unknown>
  items: { header: { type?: string } & Record<string, unknown>; payload: unknown }[]
}

/** An error event, as far as the tests look into it. */
export interface ReceivedEvent {
  level?: string
  release?: string
  environment?: string
  server_name?: string
  tags?: Record<string, string>
  exception?: { values?: { type?: string; value?: string }[] }
}

export interface SentryIngest {
  /** A DSN pointing at this server (project 1). */
  dsn: string
  envelopes: ReceivedEnvelope[]
  /** The `event` items of every envelope received, in order. */
  events(): ReceivedEvent[]
  close(): Promise<void>
}

/** Newline-separated JSON: the envelope header, then an item header and its payload per item. */
function parseEnvelope(text: string): Pick<ReceivedEnvelope, 'header' | 'items'> {
  const lines = text.split('\n')
  const header = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>
  const items: ReceivedEnvelope['items'] = []
  for (let i = 1; i + 1 < lines.length; i += 2) {
    const line = lines[i]
    if (!line) break
    const payload = lines[i + 1] ?? ''
    items.push({ header: JSON.parse(line) as ReceivedEnvelope['items'][number]['header'], payload: JSON.parse(payload) })
  }
  return { header, items }
}

/** A local stand-in for Sentry's ingest (`POST /api/<project>/envelope/`): it keeps what it gets and answers 200. */
export async function startSentryIngest(): Promise<SentryIngest> {
  const envelopes: ReceivedEnvelope[] = []
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks)
      const raw = (request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8')
      envelopes.push({ path: request.url ?? '', raw, ...parseEnvelope(raw) })
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    dsn: `http://public@127.0.0.1:${port}/1`,
    envelopes,
    events: () =>
      envelopes.flatMap((envelope) =>
        envelope.items.filter((item) => item.header.type === 'event').map((item) => item.payload as ReceivedEvent),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  }
}

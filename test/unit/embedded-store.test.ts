import { randomUUID } from 'node:crypto'
import { readFile, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDataDir } from '../../src/storage/embedded-storage.js'
import { bannerOf, call, login, printedAdmin, recordsOf, startEmbedded, tempDataDir } from '../support/embedded.js'
import { eventually } from '../support/wait.js'

// The embedded default as a user runs it: real processes on a DATA_DIR of the test's own,
// restarted, killed, and started on logs the test damaged.

const REP = { email: 'rep.one@corp.example', password: 'rep-one-password' }
const ADMIN = { ADMIN_EMAIL: 'admin@corp.example', ADMIN_PASSWORD: 'admin-password-long' }
const adminCredentials = { email: ADMIN.ADMIN_EMAIL, password: ADMIN.ADMIN_PASSWORD }
const SKU = { sku: 'WIDGET-1', name: 'Widget', unit_price: 100_000, currency: 'INR', tax_rate_bp: 1800 }
const order = (n = 1) => ({
  customer: { name: `Customer ${n}` },
  items: [{ sku: 'WIDGET-1', quantity: n }],
  sales_rep: REP.email,
})

/** A SKU and a sales rep, made as the admin. */
async function setUp(url: string, token: string): Promise<void> {
  expect((await call(url, 'POST', '/api/skus', { token, body: SKU })).status).toBe(201)
  expect((await call(url, 'POST', '/api/users', { token, body: { ...REP, name: 'Rep One', role: 'sales_rep' } })).status).toBe(
    201,
  )
}

async function placed(url: string, token: string, n: number): Promise<string> {
  const { status, body } = await call<{ order_id: string }>(url, 'POST', '/api/orders', { token, body: order(n) })
  expect(status, JSON.stringify(body)).toBe(201)
  return body.order_id
}

/** A first life of the service on `dataDir`: the SKU, the rep and `count` orders, then a clean stop. */
async function firstLife(dataDir: string, count: number): Promise<{ token: string; ids: string[] }> {
  const first = startEmbedded(dataDir, ADMIN)
  const url = await first.url
  const token = await login(url, adminCredentials)
  await setUp(url, token)
  const ids: string[] = []
  for (let n = 1; n <= count; n++) ids.push(await placed(url, token, n))
  first.child.kill('SIGTERM')
  expect(await first.exited).toBe(0)
  return { token, ids }
}

describe('the embedded store keeps its data in DATA_DIR', () => {
  it('restart keeps everything: the printed admin password, old tokens, users, orders, history, reports', async () => {
    const dataDir = await tempDataDir()
    const first = startEmbedded(dataDir)
    const url = await first.url
    const admin = printedAdmin(await bannerOf(first))
    const token = await login(url, admin)
    await setUp(url, token)
    const ids = [await placed(url, token, 1), await placed(url, token, 2), await placed(url, token, 3)]
    expect((await call(url, 'POST', `/api/orders/${ids[0]}/confirm`, { token })).status).toBe(200)
    expect((await call(url, 'POST', `/api/orders/${ids[1]}/cancel`, { token, body: { reason: 'changed mind' } })).status).toBe(
      200,
    )
    const repToken = await login(url, REP)

    const from = new Date(Date.now() - 86_400_000).toISOString()
    const to = new Date(Date.now() + 86_400_000).toISOString()
    const reads = async (at: string) => {
      const all = await Promise.all([
        ...ids.map((id) => call(at, 'GET', `/api/orders/${id}`, { token })),
        ...ids.map((id) => call(at, 'GET', `/api/orders/${id}/history`, { token })),
        call(at, 'GET', '/api/skus', { token }),
        call(at, 'GET', '/api/users', { token }),
        call(at, 'GET', `/api/reports/summaries?from=${from}&to=${to}&group_by=sales_rep`, { token }),
        call(at, 'GET', '/.well-known/jwks.json'),
      ])
      for (const answer of all) expect(answer.status, JSON.stringify(answer.body)).toBe(200)
      return all.map((answer) => answer.body)
    }
    const before = await reads(url)
    first.child.kill('SIGTERM')
    expect(await first.exited).toBe(0)

    const second = startEmbedded(dataDir)
    const again = await second.url
    // Never the password again: the banner says when it was printed.
    const banner = await bannerOf(second)
    expect(banner).not.toContain(admin.password)
    expect(banner).toContain(`Admin ${admin.email}: its password was printed by the first start, at `)
    expect(await reads(again)).toEqual(before)
    // Tokens issued before the restart still work (same signing key), and so do the passwords.
    expect((await call(again, 'GET', `/api/orders/${ids[2]}`, { token })).status).toBe(200)
    expect((await call(again, 'GET', `/api/orders/${ids[2]}`, { token: repToken })).status).toBe(200)
    await login(again, admin)
    await login(again, REP)
    // Order numbers go on after the stored ones.
    expect(await placed(again, token, 4)).toBe('ORD-00004')
  })

  it('crash safety: SIGKILL while 8 clients post orders; every 201 is there once, positions have no gaps, nothing half-written', async () => {
    const dataDir = await tempDataDir()
    const first = startEmbedded(dataDir, ADMIN)
    const url = await first.url
    const token = await login(url, adminCredentials)
    await setUp(url, token)

    const acknowledged: string[] = []
    let sent = 0
    const client = async () => {
      for (;;) {
        sent++
        const answer = await call<{ order_id: string }>(url, 'POST', '/api/orders', {
          token,
          body: order(1 + (sent % 9)),
          headers: { 'idempotency-key': randomUUID() },
        }).catch(() => undefined)
        if (!answer) return // the process is gone
        expect(answer.status).toBe(201)
        acknowledged.push(answer.body.order_id)
      }
    }
    const clients = Array.from({ length: 8 }, client)
    await eventually('60 orders acknowledged', () => acknowledged.length >= 60)
    first.child.kill('SIGKILL')
    await Promise.all(clients)
    await first.exited

    const second = startEmbedded(dataDir, ADMIN)
    const again = await second.url
    for (const id of acknowledged) {
      const history = await call<{ type: string }[]>(again, 'GET', `/api/orders/${id}/history`, { token })
      expect(history.status).toBe(200)
      expect(history.body.map((e) => e.type)).toEqual(['order.created'])
    }
    expect(await placed(again, token, 1)).toMatch(/^ORD-\d+$/)
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)

    // The log itself, read as the service reads it.
    const storage = await openDataDir(dataDir)
    try {
      const commits = await storage.commitLog.readFrom(0, 100_000)
      const positions = commits.flatMap((c) => c.events.map((_, i) => c.position + i))
      expect(positions).toEqual(positions.map((_, i) => i + 1))
      const orderStreams = commits.filter((c) => c.stream.startsWith('order-'))
      const streams = orderStreams.map((c) => c.stream)
      expect(new Set(streams).size).toBe(streams.length) // each order created once, one commit each
      for (const commit of orderStreams) expect(commit.events.map((e) => e.type)).toEqual(['order.created'])
      for (const id of acknowledged) expect(streams).toContain(`order-${id}`)
      // Besides the acknowledged ones, at most the 8 in flight at the kill, and the one placed after.
      expect(streams.length).toBeGreaterThanOrEqual(acknowledged.length + 1)
      expect(streams.length).toBeLessThanOrEqual(acknowledged.length + 8 + 1)
    } finally {
      await storage.close()
    }
  })

  it('a truncated last record: the start warns, naming the offset, and only that record is lost', async () => {
    const dataDir = await tempDataDir()
    const { token, ids } = await firstLife(dataDir, 3)
    const log = join(dataDir, 'events.log')
    const last = (await recordsOf(log)).at(-1) as { offset: number; length: number }
    await truncate(log, last.offset + 25)

    const second = startEmbedded(dataDir, ADMIN)
    const again = await second.url
    expect(second.output()).toContain(
      `event log: cut off 25 bytes at byte offset ${last.offset}, the incomplete last write of a crash (never acknowledged)`,
    )
    expect((await call(again, 'GET', `/api/orders/${ids[0]}`, { token })).status).toBe(200)
    expect((await call(again, 'GET', `/api/orders/${ids[1]}`, { token })).status).toBe(200)
    expect((await call(again, 'GET', `/api/orders/${ids[2]}`, { token })).status).toBe(404)
  })

  it('a corrupted record in the middle: the service refuses to start, naming the byte offset, and leaves the log as it is', async () => {
    const dataDir = await tempDataDir()
    await firstLife(dataDir, 3)
    const log = join(dataDir, 'events.log')
    const damaged = (await recordsOf(log))[1] as { offset: number; length: number }
    const bytes = await readFile(log)
    bytes[damaged.offset + 30] = (bytes[damaged.offset + 30] ?? 0) ^ 0x20
    await writeFile(log, bytes)

    const second = startEmbedded(dataDir, ADMIN)
    expect(await second.exited).toBe(1)
    expect(second.output()).toContain(`the event log ${log} is damaged at byte offset ${damaged.offset} (checksum mismatch;`)
    expect(second.output()).not.toContain('Server listening')
    expect(await readFile(log)).toEqual(bytes)
  })

  it('two processes on one DATA_DIR: the second exits non-zero naming the lock, the first keeps serving', async () => {
    const dataDir = await tempDataDir()
    const first = startEmbedded(dataDir, ADMIN)
    const url = await first.url
    const second = startEmbedded(dataDir, ADMIN)
    expect(await second.exited).toBe(1)
    // One plain line (after the log line of the metrics listener, which starts first).
    expect(second.output().trim().split('\n').at(-1)).toMatch(
      new RegExp(`^DATA_DIR is in use by process ${String(first.child.pid)} on `),
    )
    expect(second.output()).toContain(`lock file ${join(dataDir, 'lock')}`)
    expect((await call(url, 'GET', '/health')).status).toBe(200)
    await login(url, adminCredentials)
  })
})

import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'

/*
 * What an integrating team does with /docs/json, done in the test run: lint it (and the
 * AsyncAPI document) with Redocly's recommended rules and our committed exceptions
 * (redocly.yaml), generate a TypeScript client with openapi-typescript, type-check a small
 * program against it with tsc, and run that program through the main flow against the
 * service listening on 127.0.0.1. Everything runs from node_modules, offline.
 */

const BIN = join(process.cwd(), 'node_modules', '.bin')
/** Redocly must not phone home: no telemetry, no update check. */
const OFFLINE = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', CI: 'true' }

/** Runs a command; resolves with its exit code and output whatever the code. */
function run(command: string, args: string[], cwd: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(command, args, { cwd, env: OFFLINE, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr })
    })
  })
}

/** The program a client team would write, against the generated types only. */
const CLIENT_PROGRAM = `
import createClient from 'openapi-fetch'
import type { components, paths } from './schema.js'

export type Problem = components['schemas']['Problem']
export type Order = components['schemas']['Order']

/** Token, a sales rep, a SKU, an order, its confirmation, the list, the report, and a refused transition. */
export async function mainFlow(baseUrl: string, admin: { email: string; password: string }) {
  // The media types this program reads: JSON answers (lists and reports also come as text/csv) and problems.
  const api = createClient<paths, 'application/json' | 'application/problem+json'>({ baseUrl })
  const login = await api.POST('/api/auth/token', { body: admin })
  if (!login.data) throw new Error('no token')
  const headers = { Authorization: \`Bearer \${login.data.access_token}\` }

  const rep = await api.POST('/api/users', {
    headers,
    body: { email: 'client-rep@test.local', name: 'Client Rep', password: 'a-long-password-here', role: 'sales_rep' },
  })
  const sku = await api.POST('/api/skus', {
    headers,
    body: { sku: 'CLIENT-1', name: 'Client widget', unit_price: 1250, currency: 'EUR', tax_rate_bp: 2000 },
  })
  const placed = await api.POST('/api/orders', {
    headers,
    params: { header: { 'Idempotency-Key': 'client-order-1' } },
    body: { customer: { name: 'Acme GmbH' }, items: [{ sku: 'CLIENT-1', quantity: 2 }], sales_rep: 'client-rep@test.local' },
  })
  if (!placed.data) throw new Error(\`order refused: \${placed.error?.code ?? placed.response.status}\`)
  const order: Order = placed.data
  const confirmed = await api.POST('/api/orders/{id}/confirm', {
    headers,
    params: { path: { id: order.order_id }, header: { 'If-Match': placed.response.headers.get('etag') ?? '*' } },
    body: {},
  })
  if (!confirmed.data) throw new Error('not confirmed')
  const list = await api.GET('/api/orders', {
    headers,
    params: { query: { status: 'confirmed', min_position: confirmed.data.position } },
  })
  const day = new Date().toISOString().slice(0, 10)
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)
  const report = await api.GET('/api/reports/summaries', {
    headers,
    params: { query: { from: day, to: tomorrow, granularity: 'day', min_position: confirmed.data.position } },
  })
  const refused = await api.POST('/api/orders/{id}/deliver', { headers, params: { path: { id: order.order_id } }, body: {} })
  const problem: Problem | undefined = refused.error
  return {
    rep: rep.response.status,
    sku: sku.data?.sku,
    order: { id: order.order_id, status: order.status, location: placed.response.headers.get('location') },
    confirmed: confirmed.data.status,
    listed: list.data?.items.map((item) => item.order_id) ?? [],
    reported: report.data?.totals.map((row) => [row.currency, row.order_count, row.total_amount]) ?? [],
    conflict: { status: refused.response.status, type: refused.response.headers.get('content-type'), code: problem?.code },
  }
}
`

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    noUncheckedIndexedAccess: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2023',
    lib: ['es2023', 'dom'],
    types: [],
    skipLibCheck: true,
  },
  files: ['client.ts'],
}

describe('clients generated from the OpenAPI document', () => {
  let app: FastifyInstance
  let baseUrl: string
  let dir: string

  beforeAll(async () => {
    ;({ app } = await buildTestApp())
    await app.listen({ host: '127.0.0.1', port: 0 })
    baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    // Under node_modules (ignored by git and the linters), so the program resolves openapi-fetch.
    const cache = join(process.cwd(), 'node_modules', '.cache')
    await mkdir(cache, { recursive: true })
    dir = await mkdtemp(join(cache, 'openapi-client-'))
    for (const [file, url] of [
      ['openapi.json', '/docs/json'],
      ['asyncapi.json', '/docs/asyncapi.json'],
    ] as const) {
      const response = await fetch(`${baseUrl}${url}`)
      expect(response.status).toBe(200)
      await writeFile(join(dir, file), JSON.stringify(await response.json(), null, 2))
    }
  })
  afterAll(async () => {
    await app.close()
    await rm(dir, { recursive: true, force: true })
  })

  it.each(['openapi.json', 'asyncapi.json'])(
    'redocly lint %s (recommended rules, redocly.yaml): 0 errors, 0 warnings',
    async (file) => {
      const config = join(process.cwd(), 'redocly.yaml')
      const { stdout, stderr } = await run(join(BIN, 'redocly'), ['lint', file, '--config', config, '--format', 'json'], dir)
      const report = JSON.parse(stdout) as {
        totals: { errors: number; warnings: number; ignored: number }
        problems: { ruleId: string; message: string; location: { pointer: string }[] }[]
      }
      const problems = report.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`)
      expect(problems, stderr).toEqual([])
      expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 })
    },
  )

  it('openapi-typescript types + openapi-fetch: a program type-checks and runs the main flow, a 409 read as a typed problem', async () => {
    const generated = await run(join(BIN, 'openapi-typescript'), ['openapi.json', '--output', 'schema.d.ts'], dir)
    expect(generated.code, generated.stderr).toBe(0)
    await writeFile(join(dir, 'client.ts'), CLIENT_PROGRAM)
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG))
    const compiled = await run(join(BIN, 'tsc'), ['-p', 'tsconfig.json'], dir)
    expect(compiled.stdout + compiled.stderr).toBe('')
    expect(compiled.code).toBe(0)

    const client = (await import(pathToFileURL(join(dir, 'client.js')).href)) as {
      mainFlow(baseUrl: string, admin: { email: string; password: string }): Promise<unknown>
    }
    const result = await client.mainFlow(baseUrl, TEST_ADMIN)
    expect(result).toEqual({
      rep: 201,
      sku: 'CLIENT-1',
      order: { id: 'ORD-00001', status: 'created', location: '/api/orders/ORD-00001' },
      confirmed: 'confirmed',
      listed: ['ORD-00001'],
      reported: [['EUR', 1, 3000]],
      conflict: { status: 409, type: 'application/problem+json; charset=utf-8', code: 'ORDER.ILLEGAL_TRANSITION' },
    })
  })
})

import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onTestFinished } from 'vitest'
import { type ServiceProcess, startProcess } from './process.js'
import { eventually } from './wait.js'

/** A fresh DATA_DIR of the test's own, removed when the test ends. */
export async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'data-dir-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** The service as a real process on `dataDir` (the embedded default, keeping its data there). */
export function startEmbedded(dataDir: string, env: Record<string, string> = {}): ServiceProcess {
  return startProcess('src/main.ts', { PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, API_RATE_LIMIT: '100000/1h', ...env })
}

/** The start banner, once the service has printed it (stderr; the logs go to stdout, in their own order). */
export async function bannerOf(service: ServiceProcess): Promise<string> {
  await service.url
  await eventually('the start banner', () => /^ {2}Health /m.test(service.output()))
  return service.output()
}

/** The admin e-mail and password the first start printed in its banner. */
export function printedAdmin(output: string): { email: string; password: string } {
  const email = /^ {2}e-mail {5}(\S+)$/m.exec(output)?.[1]
  const password = /^ {2}password {3}(\S+)$/m.exec(output)?.[1]
  if (email === undefined || password === undefined) throw new Error(`no admin credentials in the banner:\n${output}`)
  return { email, password }
}

export interface Answer<T = Record<string, unknown>> {
  status: number
  body: T
}

/** One JSON request to the service. */
export async function call<T = Record<string, unknown>>(
  url: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  const text = await response.text()
  return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as T }
}

/** A token for the credentials (fails the test if the login does). */
export async function login(url: string, credentials: { email: string; password: string }): Promise<string> {
  const { status, body } = await call<{ access_token: string }>(url, 'POST', '/api/auth/token', { body: credentials })
  if (status !== 200) throw new Error(`login of ${credentials.email} answered ${status}: ${JSON.stringify(body)}`)
  return body.access_token
}

/** Each record of an event log file: its byte offset and length (from the record headers). */
export async function recordsOf(path: string): Promise<{ offset: number; length: number }[]> {
  const bytes = await readFile(path)
  const records: { offset: number; length: number }[] = []
  for (let offset = 0; offset + 10 <= bytes.length;) {
    const length = 10 + bytes.readUInt32BE(offset + 2)
    records.push({ offset, length })
    offset += length
  }
  return records
}

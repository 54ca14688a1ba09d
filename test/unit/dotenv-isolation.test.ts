import { randomInt } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startProcess } from '../support/process.js'

// A .env of the test's own, in a directory of its own (never the repository root, where a
// developer's .env lives and other test files run meanwhile). PORT comes from nowhere else:
// the environment would win over the file. Without it the service takes its default port, so
// it listens on a loopback address no developer's service uses.
describe('./.env and the processes tests launch', () => {
  const host = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dotenv-isolation-'))
    await writeFile(join(dir, '.env'), 'PORT=abc\n')
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('a service started where .env says PORT=abc reads it when allowed: exit code 1 and one line naming PORT', async () => {
    const service = startProcess('src/main.ts', { HOST: host }, { cwd: dir, readDotenv: true })
    expect(await service.exited).toBe(1)
    const lines = service.output().trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^Invalid configuration: PORT /)
  })

  it('with DOTENV=off, as every launched process gets it, the same service ignores that .env and listens', async () => {
    const service = startProcess('src/main.ts', { HOST: host }, { cwd: dir })
    const url = await service.url
    expect(url).toBe(`http://${host}:3000`)
    expect((await fetch(`${url}/health`)).status).toBe(200)
    await service.stop()
    expect(service.child.signalCode).toBe('SIGKILL')
  })
})

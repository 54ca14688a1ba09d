import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runToExit, startProcess } from '../support/process.js'

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('processes tests launch', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'launched-processes-'))
    await writeFile(join(dir, 'hang.ts'), "process.stdout.write('waiting forever\\n')\nsetInterval(() => undefined, 1000)\n")
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  let leftRunning: number | undefined

  it('a process its test leaves running … (started here, never stopped)', async () => {
    const service = startProcess('test/support/slow-server.ts', { PORT: '0' })
    await service.url
    leftRunning = service.child.pid
    expect(leftRunning && isRunning(leftRunning)).toBe(true)
  })

  it('… was SIGKILLed and awaited when that test ended', () => {
    expect(leftRunning).toBeDefined()
    expect(isRunning(leftRunning!)).toBe(false)
  })

  it('runToExit kills a process that outlives its timeout, and fails with what it printed', async () => {
    await expect(runToExit(join(dir, 'hang.ts'), [], {}, { timeoutMs: 5000 })).rejects.toThrow(
      /hang\.ts did not exit within 5000 ms \(killed\); it printed:\nwaiting forever/,
    )
  })
})

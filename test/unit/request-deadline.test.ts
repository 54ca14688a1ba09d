import type { FastifyInstance } from 'fastify'
import { MongoNetworkError } from 'mongodb'
import { afterEach, describe, expect, it } from 'vitest'
import { type LogCapture, buildTestApp } from '../support/app.js'
import { sleep } from '../support/wait.js'

const DEADLINE_MS = 150

const isError = (line: Record<string, unknown>) => line.level === 'error' || line.level === 'fatal'

/** Routes whose handler answers nothing until it fails, `failAfterMs` in. */
async function appWithSlowFailures(): Promise<{ app: FastifyInstance; logs: LogCapture }> {
  return buildTestApp({
    captureLogs: true,
    env: { REQUEST_TIMEOUT_MS: String(DEADLINE_MS) },
    extend: async (instance) => {
      instance.get('/test/stalled-store', async () => {
        await sleep(DEADLINE_MS * 2)
        throw new MongoNetworkError('connection 7 to 127.0.0.1:27017 closed')
      })
      instance.get('/test/late-bug', async () => {
        await sleep(DEADLINE_MS * 2)
        throw new TypeError("Cannot read properties of undefined (reading 'id')")
      })
    },
  })
}

describe('request deadline: a request still unanswered at REQUEST_TIMEOUT_MS', () => {
  let app: FastifyInstance | undefined
  afterEach(async () => {
    await app?.close()
  })

  it('is answered 503 with Retry-After, and its handler failing later logs no error line per request', async () => {
    const built = await appWithSlowFailures()
    ;({ app } = built)
    const responses = await Promise.all(Array.from({ length: 5 }, () => built.app.inject({ url: '/test/stalled-store' })))
    for (const response of responses) {
      expect(response.statusCode).toBe(503)
      expect(response.headers['retry-after']).toBeDefined()
      expect(response.json()).toMatchObject({ code: 'SERVICE.UNAVAILABLE' })
    }
    await sleep(DEADLINE_MS * 2) // the handlers fail now
    expect(built.logs.lines.filter(isError)).toEqual([])
    expect(built.logs.lines.filter((line) => line.msg === 'request failed after its deadline answer (an outage)')).toHaveLength(5)
  })

  it('a handler failing later for another reason than an outage is still logged, as a warning', async () => {
    const built = await appWithSlowFailures()
    ;({ app } = built)
    const response = await built.app.inject({ url: '/test/late-bug' })
    expect(response.statusCode).toBe(503)
    await sleep(DEADLINE_MS * 2)
    const late = built.logs.lines.filter((line) => line.msg === 'request failed after its deadline answer')
    expect(late).toHaveLength(1)
    expect(late[0]).toMatchObject({ level: 'warn', err: { type: 'TypeError' } })
    expect(built.logs.lines.filter(isError)).toEqual([])
  })
})

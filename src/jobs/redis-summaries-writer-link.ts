import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { assertLocked, type JobLog } from './job.js'
import type { RepairAnswer, RepairRequest } from './summary-corrections.js'
import type { LocalWriter, SummariesWriterLink } from './summaries-writer-link.js'

/** How long a requester waits for the writer: its batch in hand first, then a few row writes. */
const ANSWER_TIMEOUT_MS = 10_000

interface RequestMessage extends RepairRequest {
  id: string
}
interface AnswerMessage {
  id: string
  answer: RepairAnswer
}

/**
 * Repairs across instances through Redis pub/sub: a request on `<prefix>summaries-repair`
 * reaches every instance, the one holding the summaries lease applies it (the others' local
 * writer answers null) and publishes the answer on `<prefix>summaries-repaired`. A lost
 * message costs a timeout (`no-writer`), never a double repair: each correction is a
 * compare-and-set against the row as the job found it. Requests this process can serve
 * itself never leave it.
 */
export function redisWriterLink(redis: Redis, prefix: string, local: LocalWriter | undefined, log: JobLog): SummariesWriterLink {
  const requests = `${prefix}summaries-repair`
  const answers = `${prefix}summaries-repaired`
  const waiting = new Map<string, (answer: RepairAnswer) => void>()
  const subscriber = redis.duplicate({ maxRetriesPerRequest: null })
  subscriber.on('error', () => undefined) // the shared connection already logs Redis errors
  subscriber.on('message', (channel: string, message: string) => {
    let parsed: unknown
    try {
      parsed = JSON.parse(message)
    } catch {
      return // not ours
    }
    if (channel === answers) {
      const { id, answer } = parsed as AnswerMessage
      waiting.get(id)?.(answer)
    } else if (local && isRequest(parsed)) {
      const { id, ...request } = parsed
      local(request)
        .then((answer) => (answer ? redis.publish(answers, JSON.stringify({ id, answer } satisfies AnswerMessage)) : undefined))
        .catch((error: unknown) => {
          log.warn(
            { err: error, generation: request.generation },
            'cannot apply a summaries repair asked for by another instance',
          )
        })
    }
  })
  const subscribed = subscriber.subscribe(...(local ? [requests, answers] : [answers]))
  subscribed.catch((error: unknown) => {
    log.warn({ err: error }, 'cannot subscribe to summaries repairs; repairs wait for Redis')
  })

  return {
    async repair(request, signal) {
      const mine = await local?.(request, signal)
      if (mine) return mine
      await subscribed
      const id = randomUUID()
      let timer: NodeJS.Timeout | undefined
      const answered = new Promise<RepairAnswer | 'no-writer'>((resolve) => {
        waiting.set(id, resolve)
        timer = setTimeout(() => {
          resolve('no-writer')
        }, ANSWER_TIMEOUT_MS)
      })
      try {
        assertLocked(signal, 'reports.reconcile')
        await redis.publish(requests, JSON.stringify({ id, ...request } satisfies RequestMessage))
        return await answered
      } finally {
        clearTimeout(timer)
        waiting.delete(id)
      }
    },
    close() {
      subscriber.disconnect()
    },
  }
}

function isRequest(value: unknown): value is RequestMessage {
  const message = value as Partial<RequestMessage> | null
  return typeof message?.id === 'string' && typeof message.generation === 'number' && Array.isArray(message.corrections)
}

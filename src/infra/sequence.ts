/** Named counters: each `next` hands out a larger number than any before it in this sequence. */
export interface Sequences {
  next(name: string): Promise<number>
  /** `value` turned out to be taken already (a claim failed): later numbers must be above it. */
  atLeast(name: string, value: number): Promise<void>
}

/** Adds `count` to the named counter and returns its new value. */
export type Reserve = (name: string, count: number) => Promise<number>

/**
 * Hands out numbers one by one while asking the store at most once at a time per name:
 * callers that arrive while a reservation is in flight share the next one (`count` of
 * them at once). One round trip serves many callers, and this process never races
 * itself on the counter document.
 */
export function coalescingSequences(reserve: Reserve, atLeast: Sequences['atLeast']): Sequences {
  const queues = new Map<string, { waiting: ((value: number | Error) => void)[]; busy: boolean }>()

  async function drain(name: string, queue: { waiting: ((value: number | Error) => void)[]; busy: boolean }): Promise<void> {
    queue.busy = true
    while (queue.waiting.length > 0) {
      const batch = queue.waiting.splice(0)
      try {
        const last = await reserve(name, batch.length)
        batch.forEach((hand, i) => {
          hand(last - batch.length + 1 + i)
        })
      } catch (error) {
        for (const hand of batch) hand(error instanceof Error ? error : new Error(String(error)))
      }
    }
    queue.busy = false
  }

  return {
    atLeast,
    next(name) {
      let queue = queues.get(name)
      if (!queue) {
        queue = { waiting: [], busy: false }
        queues.set(name, queue)
      }
      const current = queue
      return new Promise<number>((resolve, reject) => {
        current.waiting.push((value) => {
          if (value instanceof Error) reject(value)
          else resolve(value)
        })
        if (!current.busy) void drain(name, current)
      })
    },
  }
}

/** Counters in memory (embedded mode and tests), starting from `initial` (name → last value handed out). */
export function memorySequences(initial: Iterable<[string, number]> = []): Sequences {
  const values = new Map<string, number>(initial)
  return coalescingSequences(
    (name, count) => {
      const value = (values.get(name) ?? 0) + count
      values.set(name, value)
      return Promise.resolve(value)
    },
    (name, value) => {
      values.set(name, Math.max(values.get(name) ?? 0, value))
      return Promise.resolve()
    },
  )
}

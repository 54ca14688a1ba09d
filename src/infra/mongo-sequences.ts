import type { Db } from 'mongodb'
import { isDuplicateKey } from './mongo-collections.js'
import { type Sequences, coalescingSequences } from './sequence.js'

interface CounterDocument {
  _id: string
  seq: number
}

/**
 * Counters in the `counters` collection: `findOneAndUpdate` + `$inc`, atomic on MongoDB.
 * FerretDB v1 runs the same command as read-then-write, so under concurrency it can hand
 * a value out twice: callers must claim what they get with a unique insert and ask again
 * when the claim fails (orders claim their number with the order stream's first event).
 */
export function mongoSequences(db: Db): Sequences {
  const counters = db.collection<CounterDocument>('counters')
  const atLeast = async (name: string, value: number) => {
    await upsert(() => counters.updateOne({ _id: name }, { $max: { seq: value } }, { upsert: true }))
  }
  return coalescingSequences(async (name, count) => {
    const counter = await upsert(() =>
      counters.findOneAndUpdate({ _id: name }, { $inc: { seq: count } }, { upsert: true, returnDocument: 'after' }),
    )
    if (!counter) throw new Error(`counter ${name} was not returned`)
    return counter.seq
  }, atLeast)
}

/** Two first-ever upserts of a counter can race to insert its document: the loser retries (and then updates it). */
async function upsert<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write()
    } catch (error) {
      if (!isDuplicateKey(error) || attempt >= 3) throw error
    }
  }
}

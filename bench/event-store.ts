import type { NewEvent } from '../src/events/envelope.js'
import { randomBytes } from 'node:crypto'
import { MongoClient } from 'mongodb'
import { createEventStore } from '../src/events/event-store.js'
import { MemoryCommitLog } from '../src/events/memory-commit-log.js'
import { MongoCommitLog } from '../src/events/mongo-commit-log.js'
import { type Row, format, perSecond, printTable, timed } from './report.js'
import { benchMongo } from './servers.js'

const who = { actor: 'bench@example.com', correlationId: 'bench' }
const metadata = { timestamp: new Date().toISOString(), source: 'bench', actor: who.actor, correlation_id: 'bench' }
const payload = (i: number) => ({
  order_id: `ORD-${i}`,
  total_amount: 118_000,
  sales_rep: 'rep@example.com',
  note: 'x'.repeat(200),
})

/** Event appends/s per adapter, single writer and 8 concurrent writers, against raw inserts. */
export async function benchEventStore(): Promise<void> {
  const rows: Row[] = []
  const memoryCount = 20_000
  for (const concurrency of [1, 8]) {
    const store = createEventStore<NewEvent>(new MemoryCommitLog(), { source: 'bench' })
    const ms = await timed(memoryCount, concurrency, (i) =>
      store.append(`bench-${i}`, [{ type: 'bench.happened', data: payload(i) }], { ...who, expectedVersion: 'no_stream' }),
    )
    const raw = new MemoryCommitLog()
    const baseMs = await timed(memoryCount, concurrency, (i) =>
      raw.insertOrdered([
        {
          position: i + 1,
          last_position: i + 1,
          stream: `bench-${i}`,
          version: 1,
          last_version: 1,
          command_id: `c${i}`,
          committed_at: new Date(),
          events: [{ event_id: `evt_${i}`, type: 'bench.happened', data: payload(i), metadata }],
        },
      ]),
    )
    rows.push(
      row(
        `memory, ${concurrency} writer(s), ${memoryCount} appends`,
        memoryCount,
        ms,
        baseMs,
        'raw MemoryCommitLog.insertOrdered',
      ),
    )
  }

  const mongo = benchMongo()
  const client = await new MongoClient(mongo.uri).connect()
  try {
    const mongoCount = 1000
    for (const concurrency of [1, 8]) {
      const db = client.db(`bench_${randomBytes(4).toString('hex')}`)
      const log = new MongoCommitLog(db)
      await log.ensureIndexes()
      const store = createEventStore<NewEvent>(log, { source: 'bench' })
      const ms = await timed(mongoCount, concurrency, (i) =>
        store.append(`bench-${i}`, [{ type: 'bench.happened', data: payload(i) }], { ...who, expectedVersion: 'no_stream' }),
      )
      const bare = db.collection('bare_inserts')
      const baseMs = await timed(mongoCount, concurrency, (i) => bare.insertOne({ i, data: payload(i), at: new Date() }))
      rows.push(
        row(
          `MongoDB wire (${mongo.uri}), ${concurrency} writer(s), ${mongoCount} appends`,
          mongoCount,
          ms,
          baseMs,
          'bare insertOne',
        ),
      )
      await db.dropDatabase()
    }
  } finally {
    await client.close()
    mongo.stop()
  }
  printTable('Event store appends (one event per append)', rows)
}

function row(what: string, count: number, ms: number, baseMs: number, baseline: string): Row {
  const rate = perSecond(count, ms)
  const base = perSecond(count, baseMs)
  return { what, figure: format(rate, 'appends/s'), baseline: `${format(base, '/s')} ${baseline}`, ratio: rate / base }
}

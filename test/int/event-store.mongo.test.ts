import { type CommandStartedEvent, MongoClient } from 'mongodb'
import { describe, expect, it } from 'vitest'
import type { CommitDocument } from '../../src/events/commit-log.js'
import { BLOCK_SIZE, MongoCommitLog } from '../../src/events/mongo-commit-log.js'
import { eventStoreContract } from '../support/event-store-contract.js'
import { createTestDatabase, skipWithoutMongo } from '../support/servers.js'

describe.skipIf(skipWithoutMongo)('MongoDB commit log', () => {
  eventStoreContract('mongodb', async () => {
    const database = await createTestDatabase('event_store')
    return { log: new MongoCommitLog(database.db), cleanup: () => database.drop() }
  })

  it('creates its unique indexes, and creating them again is harmless', async () => {
    const database = await createTestDatabase('event_indexes')
    try {
      const log = new MongoCommitLog(database.db)
      await log.ensureIndexes()
      await log.ensureIndexes()
      const indexes = await database.db.collection('events').indexes()
      const unique = indexes.filter((i) => i.unique === true).map((i) => ({ name: i.name, key: i.key }))
      // The command id is the `_id`, unique by definition.
      expect(indexes.map((i) => i.name)).toContain('_id_')
      expect(unique).toEqual(
        expect.arrayContaining([
          { name: 'position_unique', key: { position: 1 } },
          { name: 'stream_version_unique', key: { stream: 1, version: 1 } },
        ]),
      )
    } finally {
      await database.drop()
    }
  })

  it('a reader far behind takes whole blocks, one lookup each (pushed down), and falls back to pages at a block missing a commit', async () => {
    const database = await createTestDatabase('event_blocks')
    const client = await new MongoClient(database.uri, { monitorCommands: true }).connect()
    try {
      const log = new MongoCommitLog(client.db())
      await log.ensureIndexes()
      // Commits of 1 to 7 events over more than two blocks: some of them span a block's end.
      const commits: CommitDocument[] = []
      for (let position = 1, i = 0; position <= 2 * BLOCK_SIZE + 300; i++) {
        commits.push(commitAt(position, (i % 7) + 1, i))
        position += (i % 7) + 1
      }
      for (let i = 0; i < commits.length; i += 250) await log.insertOrdered(commits.slice(i, i + 250))
      const head = commits.at(-1)?.last_position ?? 0
      const everyPosition = Array.from({ length: head }, (_, i) => i + 1)

      const blockReads: number[] = []
      client.on('commandStarted', (event: CommandStartedEvent) => {
        const filter = event.commandName === 'find' ? (event.command.filter as { blocks?: number }) : {}
        if (filter.blocks !== undefined) blockReads.push(filter.blocks)
      })
      const reader = new MongoCommitLog(client.db()) // another process: it knows the head once it has looked
      expect(await reader.lastPosition()).toBe(head)
      expect(await positionsRead(reader, 0)).toEqual(everyPosition)
      expect(await positionsRead(reader, 700)).toEqual(everyPosition.slice(700))
      // Blocks 0 and 1 are written to their end (block 2 is not: it goes by pages), each read once per pass.
      expect(blockReads).toEqual([0, 1, 0, 1])
      const explained = await database.db.command({ explain: { find: 'events', filter: { blocks: 1 } } })
      expect(explained.filterPushdown).toBe(true)

      // A commit in block 1 without `blocks` (stored before they existed, or by an older version in a rolling upgrade).
      const straggler = commits.find((c) => c.position > BLOCK_SIZE + 100)
      await database.db
        .collection<{ _id: string }>('events')
        .updateOne({ _id: straggler?.command_id ?? '' }, { $unset: { blocks: '' } })
      blockReads.length = 0
      expect(await positionsRead(new MongoCommitLog(client.db()), 0, head)).toEqual(everyPosition)
      expect(blockReads).toEqual([0, 1])
    } finally {
      await client.close()
      await database.drop()
    }
  })
})

function commitAt(position: number, count: number, i: number): CommitDocument {
  return {
    position,
    last_position: position + count - 1,
    stream: `order-${i}`,
    version: 1,
    last_version: count,
    command_id: `cmd-${i}`,
    committed_at: new Date(),
    events: Array.from({ length: count }, (_, e) => ({
      event_id: `evt-${i}-${e}`,
      type: 'order.note',
      data: { n: e },
      metadata: { timestamp: new Date().toISOString(), source: 'test', actor: 'test', correlation_id: 'test' },
    })),
  }
}

/** Every position read through `readFrom` in batches of 500 from `after` (`head`: known to the reader first). */
async function positionsRead(log: MongoCommitLog, after: number, head?: number): Promise<number[]> {
  if (head !== undefined) expect(await log.lastPosition()).toBe(head)
  const positions: number[] = []
  for (let from = after; ;) {
    const commits = await log.readFrom(from, 500)
    if (commits.length === 0) return positions
    for (const commit of commits) {
      for (let p = commit.position; p <= commit.last_position; p++) if (p > from) positions.push(p)
    }
    from = commits.at(-1)?.last_position ?? from
  }
}

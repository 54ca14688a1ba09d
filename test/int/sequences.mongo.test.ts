import { describe, expect, it } from 'vitest'
import { mongoSequences } from '../../src/infra/mongo-sequences.js'
import { createTestDatabase, skipWithoutMongo } from '../support/servers.js'

describe.skipIf(skipWithoutMongo)('counters on MongoDB (order numbers while Redis is away)', () => {
  it('raises and reservations racing to create a new counter all succeed (none fails on the duplicate key)', async () => {
    const database = await createTestDatabase('sequences')
    try {
      const sequences = mongoSequences(database.db)
      // As instances falling back at once: each raises the counter to the store's head, then takes a number.
      const raised = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => sequences.atLeast('raised', 100 + i)))
      expect(raised.filter((outcome) => outcome.status === 'rejected')).toEqual([])
      // (FerretDB runs $max as read-then-write: a racing raise may be lost, never all of them.)
      expect(await sequences.next('raised')).toBeGreaterThan(100)
      const separate = Array.from({ length: 4 }, () => mongoSequences(database.db))
      const taken = await Promise.allSettled(separate.map((s) => s.next('reserved')))
      expect(taken.filter((outcome) => outcome.status === 'rejected')).toEqual([])
    } finally {
      await database.drop()
    }
  })
})

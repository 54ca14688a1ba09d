import { type CommandStartedEvent, MongoClient } from 'mongodb'
import { MemoryGenerationStore } from '../consumers/memory-generation-store.js'
import { MemoryLeaseStore } from '../consumers/memory-lease-store.js'
import { MongoGenerationStore } from '../consumers/mongo-generation-store.js'
import { MongoLeaseStore } from '../consumers/mongo-lease-store.js'
import type { GenerationStore } from '../consumers/generations.js'
import type { LeaseStore } from '../consumers/leases.js'
import type { CommitLog } from '../events/commit-log.js'
import { MemoryCommitLog } from '../events/memory-commit-log.js'
import { MongoCommitLog } from '../events/mongo-commit-log.js'
import type { Config } from '../infra/config.js'
import { mongoSequences } from '../infra/mongo-sequences.js'
import { type Sequences, memorySequences } from '../infra/sequence.js'
import type { JobRunStore } from '../jobs/job-runs.js'
import { MemoryJobRunStore } from '../jobs/memory-job-run-store.js'
import { MongoJobRunStore } from '../jobs/mongo-job-run-store.js'
import { MemoryReadModelStore } from '../projections/memory-read-model.js'
import { MongoReadModelStore } from '../projections/mongo-read-model.js'
import type { ReadModelStore } from '../projections/read-model.js'
import { MemoryUserStore } from '../users/memory-user-store.js'
import { MongoUserStore } from '../users/mongo-user-store.js'
import type { UserStore } from '../users/user.js'

const PING_TIMEOUT_MS = 900

/** Every store the service keeps state in, on one backend. */
export interface Storage {
  kind: 'mongodb' | 'memory'
  commitLog: CommitLog
  readModels: ReadModelStore
  leases: LeaseStore
  generations: GenerationStore
  users: UserStore
  sequences: Sequences
  /** Records of job runs. */
  jobRuns: JobRunStore
  /** Resolves while the backend answers (readiness); gives up after `PING_TIMEOUT_MS`. */
  ping(): Promise<void>
  close(): Promise<void>
}

/**
 * The one place that chooses MongoDB or memory (the embedded mode) for every store — used by
 * the service and the CLI alike. On MongoDB it connects, fails with a clear message when the
 * server cannot be reached, and creates the indexes (idempotently). Pool sizes and timeouts
 * come from the URI (`maxPoolSize`, `waitQueueTimeoutMS`, ...).
 */
export interface StorageOptions {
  /** Names the connection in the server's logs (default: INSTANCE_ID). */
  appName?: string
  /** Sees every command sent to MongoDB (tests check the query shapes; metrics count them). */
  onCommand?: (event: CommandStartedEvent) => void
}

export async function openStorage(
  config: Pick<Config, 'mongodbUri' | 'mongodbDatabase' | 'instanceId'>,
  options: StorageOptions = {},
): Promise<Storage> {
  if (config.mongodbUri === undefined) {
    return {
      kind: 'memory',
      commitLog: new MemoryCommitLog(),
      readModels: new MemoryReadModelStore(),
      leases: new MemoryLeaseStore(),
      generations: new MemoryGenerationStore(),
      users: new MemoryUserStore(),
      sequences: memorySequences(),
      jobRuns: new MemoryJobRunStore(),
      ping: () => Promise.resolve(),
      close: () => Promise.resolve(),
    }
  }
  const { onCommand } = options
  const client = new MongoClient(config.mongodbUri, {
    appName: options.appName ?? config.instanceId,
    serverSelectionTimeoutMS: 10_000,
    ...(onCommand ? { monitorCommands: true } : {}),
  })
  if (onCommand) client.on('commandStarted', onCommand)
  try {
    await client.connect()
  } catch (error) {
    throw new Error(`MongoDB at MONGODB_URI is not reachable: ${(error as Error).message}`, { cause: error })
  }
  const db = client.db(config.mongodbDatabase)
  // FerretDB answers buildInfo with its own version: it sorts in memory, so lists need pages.
  const ferretDb = 'ferretdbVersion' in (await db.admin().command({ buildInfo: 1 }))
  const commitLog = new MongoCommitLog(db)
  const leases = new MongoLeaseStore(db)
  const users = new MongoUserStore(db)
  try {
    await commitLog.ensureIndexes()
    await leases.ensureIndexes()
    await users.ensureIndexes()
  } catch (error) {
    await client.close()
    throw error
  }
  return {
    kind: 'mongodb',
    commitLog,
    readModels: new MongoReadModelStore(db, !ferretDb),
    leases,
    generations: new MongoGenerationStore(db),
    users,
    sequences: mongoSequences(db),
    jobRuns: new MongoJobRunStore(db),
    async ping() {
      await db.command({ ping: 1 }, { timeoutMS: PING_TIMEOUT_MS })
    },
    close: () => client.close(),
  }
}

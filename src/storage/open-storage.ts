import { type CommandStartedEvent, MongoClient } from 'mongodb'
import { MongoGenerationStore } from '../consumers/mongo-generation-store.js'
import { MongoLeaseStore } from '../consumers/mongo-lease-store.js'
import type { GenerationStore } from '../consumers/generations.js'
import type { LeaseStore } from '../consumers/leases.js'
import type { CommitLog } from '../events/commit-log.js'
import { MongoCommitLog } from '../events/mongo-commit-log.js'
import { type Config, IN_MEMORY } from '../infra/config.js'
import { mongoSequences } from '../infra/mongo-sequences.js'
import type { Sequences } from '../infra/sequence.js'
import type { JobRunStore } from '../jobs/job-runs.js'
import { MongoJobRunStore } from '../jobs/mongo-job-run-store.js'
import { MongoReadModelStore } from '../projections/mongo-read-model.js'
import type { ReadModelStore } from '../projections/read-model.js'
import { MongoUserStore } from '../users/mongo-user-store.js'
import type { UserStore } from '../users/user.js'
import { type EmbeddedOpening, inMemoryStorage, openDataDir } from './embedded-storage.js'

const PING_TIMEOUT_MS = 900

/** Every store the service keeps state in, on one backend. */
export interface Storage {
  /** MongoDB, or the embedded mode (one process, no servers). */
  kind: 'mongodb' | 'embedded'
  /** Embedded: the directory its data is kept in (absolute), or undefined when nothing is kept (`:memory:`). */
  dataDir: string | undefined
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
 * The one place that chooses MongoDB or the embedded mode (`DATA_DIR`, or memory) for every store — used by
 * the service and the CLI alike. On MongoDB it connects, fails with a clear message when the
 * server cannot be reached, and creates the indexes (idempotently). Pool sizes and timeouts
 * come from the URI (`maxPoolSize`, `waitQueueTimeoutMS`, ...).
 */
export interface StorageOptions {
  /** Names the connection in the server's logs (default: INSTANCE_ID). */
  appName?: string
  /** Sees every command sent to MongoDB (tests check the query shapes; metrics count them). */
  onCommand?: (event: CommandStartedEvent) => void
  /** Told what opening an embedded data directory found (commits, torn tail). */
  onDataDirOpened?: (opening: EmbeddedOpening) => void
}

export async function openStorage(
  config: Pick<Config, 'mongodbUri' | 'mongodbDatabase' | 'instanceId'> & Partial<Pick<Config, 'dataDir'>>,
  options: StorageOptions = {},
): Promise<Storage> {
  if (config.mongodbUri === undefined) {
    const dataDir = config.dataDir ?? IN_MEMORY
    return dataDir === IN_MEMORY ? inMemoryStorage() : openDataDir(dataDir, options.onDataDirOpened)
  }
  const { onCommand } = options
  const client = new MongoClient(config.mongodbUri, {
    appName: options.appName ?? config.instanceId,
    // 10 s (the driver's own default is 30 s), unless the URI sets it (URI options otherwise lose to these).
    ...(/[?&]serverSelectionTimeoutMS=/i.test(config.mongodbUri) ? {} : { serverSelectionTimeoutMS: 10_000 }),
    ...(onCommand ? { monitorCommands: true } : {}),
  })
  if (onCommand) client.on('commandStarted', onCommand)
  try {
    await client.connect()
  } catch (error) {
    throw new Error(`MongoDB at MONGODB_URI is not reachable: ${(error as Error).message}`, { cause: error })
  }
  const db = client.db(config.mongodbDatabase)
  // FerretDB answers buildInfo with its own version: it sorts in memory, so lists need pages,
  // and read models send it one update per command (see `MongoReadModelStore`).
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
    dataDir: undefined,
    commitLog,
    readModels: new MongoReadModelStore(db, ferretDb ? 'ferretdb' : 'mongodb'),
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

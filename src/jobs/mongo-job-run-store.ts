import type { Collection, Db } from 'mongodb'
import { isDuplicateKey } from '../infra/mongo-collections.js'
import type { JobRun, JobRunStore } from './job-runs.js'

type RunDocument = Omit<JobRun, 'id'> & { _id: string }
/** The latest run of a job, under the job's name. */
type LatestDocument = JobRun & { _id: string }

/**
 * Runs in MongoDB: `job_runs` keeps every run (`_id` = run id), `job_last_runs` the most
 * recently started one of each job (`_id` = job name). Every query is an equality on `_id`.
 */
export class MongoJobRunStore implements JobRunStore {
  private readonly runs: Collection<RunDocument>
  private readonly latestRuns: Collection<LatestDocument>

  constructor(db: Db) {
    this.runs = db.collection<RunDocument>('job_runs')
    this.latestRuns = db.collection<LatestDocument>('job_last_runs')
  }

  async started({ id, ...run }: JobRun): Promise<void> {
    await this.runs.insertOne({ _id: id, ...run })
    await this.setLatest({ id, ...run })
  }

  async finished({ id, ...run }: JobRun): Promise<void> {
    await this.runs.replaceOne({ _id: id }, run)
    await this.setLatest({ id, ...run })
  }

  async latest(job: string): Promise<JobRun | null> {
    const found = await this.latestRuns.findOne({ _id: job })
    if (!found) return null
    const { _id, ...run } = found
    return run
  }

  /**
   * Replaces the job's latest run unless a later-started one is recorded (two runs of different
   * occurrences can end in either order). Lookups by `_id` only, which FerretDB pushes down; two
   * instances recording at the same moment may leave either run as the latest.
   */
  private async setLatest(run: JobRun): Promise<void> {
    const latest = await this.latestRuns.findOne({ _id: run.job }, { projection: { started_at: 1 } })
    if (latest && latest.started_at > run.started_at) return
    try {
      await this.latestRuns.replaceOne({ _id: run.job }, run, { upsert: true })
    } catch (error) {
      if (!isDuplicateKey(error)) throw error // (another instance inserted it first)
    }
  }
}

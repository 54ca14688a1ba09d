import { describe, expect, it } from 'vitest'
import { assertLocked, pause } from '../../src/jobs/job.js'
import { scheduleJobs } from '../../src/jobs/job-scheduler.js'
import { MemoryOccurrenceLocks } from '../../src/jobs/memory-occurrence-locks.js'
import { instanceRunner, recordingLog, recordingRunStore, scriptedJob } from '../support/jobs-fixtures.js'
import { deferred } from '../support/projections/harness.js'
import { eventually, sleep } from '../support/wait.js'

const OCCURRENCE = '2026-11-30T10:05:00.000Z'
const SCHEDULED = new Date(OCCURRENCE)

describe('one run per occurrence across instances (in-process locks, one clock)', () => {
  it('two instances firing the same occurrence at once: one runs it, the other finds it taken', async () => {
    const locks = new MemoryOccurrenceLocks()
    const runs = recordingRunStore()
    const release = deferred()
    const job = scriptedJob('test.once', async () => {
      await release.promise
      return { done: true }
    })
    const first = instanceRunner('a', locks, runs).runOccurrence(job, OCCURRENCE, SCHEDULED)
    const second = await instanceRunner('b', locks, runs).runOccurrence(job, OCCURRENCE, SCHEDULED)
    release.resolve()
    expect(second).toEqual({ ran: false, reason: 'taken' })
    expect(await first).toMatchObject({ ran: true, run: { instance: 'a', outcome: 'ok', details: { done: true } } })
    expect(runs.finishedRuns.map((run) => [run.occurrence, run.instance])).toEqual([[OCCURRENCE, 'a']])
  })

  it('an instance whose clock is seconds behind fires after the run finished: it finds the occurrence done', async () => {
    const locks = new MemoryOccurrenceLocks()
    const runs = recordingRunStore()
    const job = scriptedJob('test.skew', () => Promise.resolve({}))
    expect((await instanceRunner('ahead', locks, runs).runOccurrence(job, OCCURRENCE, SCHEDULED)).ran).toBe(true)
    // Keyed by the scheduled time, whichever moment each instance's timer fired.
    expect(await instanceRunner('behind', locks, runs).runOccurrence(job, OCCURRENCE, SCHEDULED)).toEqual({
      ran: false,
      reason: 'done',
    })
    const next = '2026-11-30T11:05:00.000Z'
    expect(await instanceRunner('behind', locks, runs).runOccurrence(job, next, new Date(next))).toMatchObject({
      ran: true,
      run: { instance: 'behind', occurrence: next, outcome: 'ok' },
    })
    expect(runs.finishedRuns.map((run) => run.instance)).toEqual(['ahead', 'behind'])
  })

  it('a failed run is recorded with its error and leaves the occurrence open: an instance firing later runs it', async () => {
    const locks = new MemoryOccurrenceLocks()
    const runs = recordingRunStore()
    let calls = 0
    const job = scriptedJob('test.flaky', () =>
      ++calls === 1 ? Promise.reject(new Error('MongoDB went away')) : Promise.resolve({}),
    )
    expect(await instanceRunner('a', locks, runs).runOccurrence(job, OCCURRENCE, SCHEDULED)).toMatchObject({
      ran: true,
      run: { outcome: 'failed', error: 'MongoDB went away', details: {} },
    })
    expect(await instanceRunner('b', locks, runs).runOccurrence(job, OCCURRENCE, SCHEDULED)).toMatchObject({
      ran: true,
      run: { instance: 'b', outcome: 'ok' },
    })
    expect(await locks.isDone(`test.flaky:${OCCURRENCE}`)).toBe(true)
  })

  it('a run that lost its lock stops writing: only the next holder writes, and only it marks the occurrence done', async () => {
    let clock = 0
    const locks = new MemoryOccurrenceLocks({ ttlMs: 300, now: () => clock })
    const runs = recordingRunStore()
    const writes: string[] = []
    const resume = deferred()
    let firstSignal: AbortSignal | undefined
    const job = scriptedJob('test.lose', async ({ signal }) => {
      const me = firstSignal ? 'b' : 'a'
      firstSignal ??= signal
      assertLocked(signal)
      writes.push(`${me}:1`)
      if (me === 'a') await resume.promise // stalled past its lock's expiry (a blocked event loop, a long GC)
      assertLocked(signal)
      writes.push(`${me}:2`)
      return {}
    })
    const stalled = instanceRunner('a', locks, runs).runOccurrence(job, OCCURRENCE, SCHEDULED)
    await eventually('the first run to write', () => writes.length === 1)
    clock += 1000 // a's lock expired before it could extend it
    const takeover = await instanceRunner('b', locks, runs).runOccurrence(job, OCCURRENCE, SCHEDULED)
    await eventually("the first run's signal to abort", () => firstSignal?.aborted === true, 2000)
    resume.resolve()
    expect(await stalled).toMatchObject({ ran: true, run: { instance: 'a', outcome: 'lost-lock' } })
    expect(takeover).toMatchObject({ ran: true, run: { instance: 'b', outcome: 'ok' } })
    expect(writes).toEqual(['a:1', 'b:1', 'b:2'])
    expect(runs.finishedRuns.map((run) => [run.instance, run.outcome])).toEqual([
      ['b', 'ok'],
      ['a', 'lost-lock'],
    ])
  })

  it('a live run keeps its lock past the TTL: it is extended while the run goes on', async () => {
    const locks = new MemoryOccurrenceLocks({ ttlMs: 150 })
    const runs = recordingRunStore()
    const job = scriptedJob('test.long', async ({ signal }) => {
      await pause(600, signal)
      return {}
    })
    const long = instanceRunner('a', locks, runs).runOccurrence(job, OCCURRENCE, SCHEDULED)
    await sleep(400) // past the TTL
    expect(await instanceRunner('b', locks, runs).runOccurrence(job, OCCURRENCE, SCHEDULED)).toEqual({
      ran: false,
      reason: 'taken',
    })
    expect(await long).toMatchObject({ ran: true, run: { outcome: 'ok' } })
  })

  it('stopping the instance abandons a run after the grace period: it stops, is recorded, and lets go of its lock', async () => {
    const locks = new MemoryOccurrenceLocks()
    const runs = recordingRunStore()
    const job = scriptedJob('test.endless', async ({ signal }) => {
      await pause(60_000, signal)
      return {}
    })
    const runner = instanceRunner('a', locks, runs)
    const endless = runner.runOccurrence(job, OCCURRENCE, SCHEDULED)
    await runner.stop(50)
    expect(await endless).toMatchObject({ ran: true, run: { outcome: 'abandoned' } })
    expect(await locks.isDone(`test.endless:${OCCURRENCE}`)).toBe(false)
    const quick = scriptedJob('test.endless', () => Promise.resolve({}))
    expect(await instanceRunner('b', locks, runs).runOccurrence(quick, OCCURRENCE, SCHEDULED)).toMatchObject({
      ran: true,
      run: { instance: 'b', outcome: 'ok' },
    })
  })
})

describe('schedules (node-cron, seconds field)', () => {
  it('two schedulers on one clock: each occurrence, keyed by its scheduled second, runs once; stopped, none runs', async () => {
    const locks = new MemoryOccurrenceLocks()
    const runs = recordingRunStore()
    const seen: { occurrence: string; scheduledAt: Date }[] = []
    const job = scriptedJob(
      'test.every-second',
      async ({ occurrence, scheduledAt }) => {
        seen.push({ occurrence, scheduledAt })
        return {}
      },
      '* * * * * *',
    )
    const schedulers = ['a', 'b'].map((instance) => {
      const runner = instanceRunner(instance, locks, runs)
      return { runner, scheduled: scheduleJobs([job], runner, recordingLog()) }
    })
    expect(schedulers[0]?.scheduled.nextRun(job.name)?.getUTCMilliseconds()).toBe(0)
    await eventually('three occurrences', () => seen.length >= 3, 10_000)
    for (const { scheduled, runner } of schedulers) {
      scheduled.stop()
      await runner.stop(1000)
      expect(scheduled.nextRun(job.name)).toBeNull()
    }
    const ran = seen.length
    await sleep(1500) // nothing more runs
    expect(seen.length).toBe(ran)

    const occurrences = runs.finishedRuns.map((run) => run.occurrence)
    expect(new Set(occurrences).size).toBe(occurrences.length)
    for (const { occurrence, scheduledAt } of seen) {
      expect(occurrence).toBe(scheduledAt.toISOString())
      expect(scheduledAt.getUTCMilliseconds()).toBe(0)
    }
    const seconds = seen.map(({ scheduledAt }) => scheduledAt.getTime() / 1000).sort((x, y) => x - y)
    expect(seconds.slice(1).map((second, i) => second - (seconds[i] ?? 0))).toEqual(seconds.slice(1).map(() => 1))
  })
})

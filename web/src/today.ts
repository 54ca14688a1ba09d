import type { Api } from './api/client'
import type { Report } from './api/types'
import { addDays, browserZone, todayIn } from './format'

/** Today (in the browser's zone) as a report query: one day bucket per currency. */
export function todayQuery(): { from: string; to: string; tz: string; granularity: 'day' } {
  const today = todayIn(browserZone)
  return { from: today, to: addDays(today, 1), tz: browserZone, granularity: 'day' }
}

/** Today's report, at least as recent as `minPosition` (read-your-writes: the service waits for it, bounded). */
export async function todaysReport(api: Api, minPosition?: number): Promise<Report> {
  const query = { ...todayQuery(), ...(minPosition === undefined ? {} : { min_position: minPosition }) }
  return (await api.get<Report>('/api/reports/summaries', query)).body
}

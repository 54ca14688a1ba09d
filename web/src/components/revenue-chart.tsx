import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import type { Bucket, GroupBy } from '../api/types'
import { money } from '../format'

/** At most this many series per chart: the largest groups, the rest added up as "Other". */
const MAX_SERIES = 8
const COLOURS = ['#1d4ed8', '#b45309', '#047857', '#9333ea', '#be123c', '#0e7490', '#4d7c0f', '#6b7280', '#a16207']

/** What one chart plots: bucket starts (s since the epoch) and one revenue column per series, in minor units. */
export interface ChartData {
  times: number[]
  series: { label: string; values: number[] }[]
}

/**
 * The buckets of one currency as chart columns: one series per group (`group_by`), or one for
 * the total, over every bucket of the range (`starts`: those without orders are zero).
 */
export function chartData(buckets: readonly Bucket[], groupBy: GroupBy, starts: readonly number[]): ChartData {
  const times = [...new Set([...starts, ...buckets.map((b) => Date.parse(b.start))].map((ms) => ms / 1000))].sort((a, b) => a - b)
  const index = new Map(times.map((t, i) => [t, i]))
  const groupOf = (b: Bucket) => (groupBy === 'none' ? 'Revenue' : ((groupBy === 'sku' ? b.sku : b.sales_rep) ?? '—'))
  const totals = new Map<string, number>()
  for (const b of buckets) totals.set(groupOf(b), (totals.get(groupOf(b)) ?? 0) + b.total_amount)
  const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([label]) => label)
  const kept = ranked.length > MAX_SERIES ? ranked.slice(0, MAX_SERIES - 1) : ranked
  const labels = ranked.length > kept.length ? [...kept, 'Other'] : kept
  const series = labels.map((label) => ({ label, values: times.map(() => 0) }))
  for (const b of buckets) {
    const label = kept.includes(groupOf(b)) ? groupOf(b) : 'Other'
    const column = series.find((each) => each.label === label)
    const row = index.get(Date.parse(b.start) / 1000)
    if (column && row !== undefined) column.values[row] = (column.values[row] ?? 0) + b.total_amount
  }
  return { times, series }
}

/**
 * A revenue chart (uPlot) for one currency, sized to its container. The numbers it plots are
 * also in the table beside it (for screen readers, and so tests can read what is drawn).
 */
export function RevenueChart({
  data,
  currency,
  zone,
  title,
}: {
  data: ChartData
  currency: string
  zone: string
  title: string
}) {
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const container = box.current
    if (!container) return
    const bars = uPlot.paths.bars?.({ size: [0.6, 64] })
    const options: uPlot.Options = {
      title,
      width: Math.max(container.clientWidth, 280),
      height: 280,
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), zone),
      scales: { x: { time: true } },
      axes: [{}, { values: (_u, ticks) => ticks.map((tick) => money(Math.round(tick), currency)), size: 90 }],
      series: [
        {},
        ...data.series.map((each, i) => ({
          label: each.label,
          stroke: COLOURS[i % COLOURS.length],
          fill: data.series.length === 1 ? `${COLOURS[0]}55` : undefined,
          width: 2,
          ...(data.series.length === 1 && bars ? { paths: bars, points: { show: false } } : {}),
          value: (_u: uPlot, value: number | null) => (value === null ? '—' : money(Math.round(value), currency)),
        })),
      ],
    }
    const plot = new uPlot(options, [data.times, ...data.series.map((each) => each.values)], container)
    const resize = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(container.clientWidth, 280), height: 280 })
    })
    resize.observe(container)
    return () => {
      resize.disconnect()
      plot.destroy()
    }
  }, [data, currency, zone, title])
  return <div ref={box} class="chart" role="img" aria-label={`${title}: the table below has the same figures`} />
}

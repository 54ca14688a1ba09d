/** One measured figure: what, how many per second or ms, and its baseline when it has one. */
export interface Row {
  what: string
  figure: string
  baseline?: string
  ratio?: number
}

export function printTable(title: string, rows: Row[]): void {
  console.log(`\n## ${title}\n`)
  console.log('| what | figure | baseline (same run) | ratio |')
  console.log('|---|---|---|---|')
  for (const r of rows) {
    console.log(`| ${r.what} | ${r.figure} | ${r.baseline ?? '–'} | ${r.ratio === undefined ? '–' : r.ratio.toFixed(2)} |`)
  }
}

/** The middle value (the upper one of an even count). */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0
}

export const perSecond = (count: number, ms: number): number => (count * 1000) / ms

export function format(value: number, unit: string): string {
  return `${value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1)} ${unit}`
}

/** Runs `work` with `concurrency` workers pulling from `count` items; returns elapsed ms. */
export async function timed(count: number, concurrency: number, work: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++)
    }),
  )
  return performance.now() - start
}

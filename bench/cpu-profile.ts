import { readFileSync } from 'node:fs'
import type { Row } from './report.js'

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) this summary reads. */
interface CpuProfile {
  nodes: {
    id: number
    callFrame: { functionName: string; url: string; lineNumber: number }
    children?: number[]
  }[]
  /** Microseconds on the monotonic clock (the one `process.hrtime` reads, in any process). */
  startTime: number
  samples: number[]
  timeDeltas: number[]
}

/** Where the POST path spends its time; `other` is everything not named here. */
export const AREAS = ['event store', 'GC', 'socket writes', 'projections', 'JWT', 'helmet', 'pino', 'deep-freeze'] as const
export type Area = (typeof AREAS)[number] | 'other'

const NATIVE_WRITES = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString'])
const PINO = ['pino', 'pino-std-serializers', 'sonic-boom', 'quick-format-unescaped', 'thread-stream', '@pinojs']

/** The area a frame belongs to by itself, if any. */
function areaOf({ functionName, url }: { functionName: string; url: string }): Area | undefined {
  const inPackage = (names: readonly string[]) => names.some((name) => url.includes(`/node_modules/${name}/`))
  if (functionName === '(garbage collector)') return 'GC'
  if (NATIVE_WRITES.has(functionName) || url.includes('stream_base_commons')) return 'socket writes'
  if (url.includes('/src/shared/freeze.')) return 'deep-freeze'
  if (url.includes('/src/events/')) return 'event store'
  // src/consumers runs the projections (and the relay's catch-up subscription).
  if (url.includes('/src/projections/') || url.includes('/src/consumers/')) return 'projections'
  if (inPackage(['fast-jwt', 'mnemonist']) || url.includes('/src/auth/tokens.')) return 'JWT'
  if (inPackage(['helmet', '@fastify/helmet']) || url.includes('/src/api/plugins/security-headers.')) return 'helmet'
  if (inPackage(PINO)) return 'pino'
  return undefined
}

/**
 * `src/events/event-store.ts`, `fastify/lib/reply.js:10`, `node:internal/…:3`, or `(native)`.
 * No line for TypeScript: tsx's output lines are not the source's.
 */
function shortLocation(url: string, line: number): string {
  if (url === '') return '(native)'
  if (url.endsWith('.ts')) return url.replace(/^file:\/\/.*?\/(src|bench|test)\//, '$1/')
  const modules = url.lastIndexOf('/node_modules/')
  const path =
    modules >= 0 ? url.slice(modules + '/node_modules/'.length) : url.replace(/^file:\/\/.*?\/(src|bench|test)\//, '$1/')
  return `${path}:${line + 1}`
}

export interface ProfileSummary {
  /** Milliseconds of samples in the window, idle excluded. */
  busyMs: number
  idleMs: number
  areas: { area: Area; percent: number }[]
  top: { name: string; area: Area; percent: number }[]
}

/**
 * Self time of the samples taken between `fromUs` and `toUs` (monotonic microseconds),
 * grouped by area: a frame outside every area (a builtin such as `JSON.stringify`, a
 * library such as fastify) counts for the nearest caller on its stack that is in one,
 * else for `other`. Percentages are of busy time (idle samples left out).
 */
export function summarizeCpuProfile(file: string, fromUs: number, toUs: number, topCount = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const parents = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id)
  const areaCache = new Map<number, Area>()
  const attributed = (id: number): Area => {
    const known = areaCache.get(id)
    if (known) return known
    const node = nodes.get(id)
    const parent = parents.get(id)
    const area = (node && areaOf(node.callFrame)) ?? (parent === undefined ? 'other' : attributed(parent))
    areaCache.set(id, area)
    return area
  }

  const byArea = new Map<Area, number>()
  const byFunction = new Map<string, { name: string; us: number; areas: Map<Area, number> }>()
  let busyUs = 0
  let idleUs = 0
  let at = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0
    // A sample stands for the time until the next one.
    const us = profile.timeDeltas[i + 1] ?? 0
    const id = profile.samples[i] ?? 0
    const node = nodes.get(id)
    if (at < fromUs || at > toUs || !node) continue
    const { functionName, url, lineNumber } = node.callFrame
    if (functionName === '(idle)') {
      idleUs += us
      continue
    }
    busyUs += us
    const area = attributed(id)
    byArea.set(area, (byArea.get(area) ?? 0) + us)
    const name = `${functionName || '(anonymous)'} ${shortLocation(url, lineNumber)}`
    const entry = byFunction.get(name) ?? { name, us: 0, areas: new Map<Area, number>() }
    entry.us += us
    entry.areas.set(area, (entry.areas.get(area) ?? 0) + us)
    byFunction.set(name, entry)
  }
  const percent = (us: number) => (busyUs > 0 ? (us * 100) / busyUs : 0)
  const mainArea = (areas: Map<Area, number>): Area => [...areas].sort((x, y) => y[1] - x[1])[0]?.[0] ?? 'other'
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    areas: [...AREAS, 'other' as const]
      .map((area) => ({ area, percent: percent(byArea.get(area) ?? 0) }))
      .sort((x, y) => y.percent - x.percent),
    top: [...byFunction.values()]
      .sort((x, y) => y.us - x.us)
      .slice(0, topCount)
      .map((entry) => ({ name: entry.name, area: mainArea(entry.areas), percent: percent(entry.us) })),
  }
}

/** The summary as table rows: areas first, then the top self-time functions. */
export function profileRows(summary: ProfileSummary): Row[] {
  return [
    ...summary.areas.map(({ area, percent }) => ({ what: `area: ${area}`, figure: `${percent.toFixed(1)} %` })),
    ...summary.top.map(({ name, area, percent }) => ({ what: `\`${name}\` (${area})`, figure: `${percent.toFixed(1)} %` })),
  ]
}

import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { posix } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { isCI } from '../support/ci.js'
import { DEFAULT_METRICS, SALES_METRICS, SCRAPE_METRICS, seriesIndex, type MetricSpec } from '../support/metric-names.js'

// deploy/ (Prometheus, its alert rules, Grafana) reads the metrics the service serves: every
// query in it may name only metrics of the contract in test/support/metric-names.ts.

const PROMETHEUS_DIR = 'deploy/prometheus'
const DASHBOARD = 'deploy/grafana/dashboards/sales-orders.json'
const DATASOURCES = 'deploy/grafana/provisioning/datasources/prometheus.yml'
const DASHBOARD_PROVIDERS = 'deploy/grafana/provisioning/dashboards/dashboards.yml'

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)
const objects = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isObject) : [])
const text = (value: unknown): string => (typeof value === 'string' ? value : '')
const readYaml = (path: string): Json => {
  const document: unknown = parse(readFileSync(path, 'utf8'), { merge: true }) // docker-compose.yml uses `<<: *api`
  if (!isObject(document)) throw new Error(`${path} is not a YAML mapping`)
  return document
}

// --- Metric names in PromQL -------------------------------------------------------------------

const AGGREGATIONS = new Set(
  'sum min max avg group stddev stdvar count count_values bottomk topk quantile limitk limit_ratio'.split(' '),
)
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan'])
/** Modifiers followed by a parenthesised list of label names. */
const LABEL_LISTS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right'])
/** String literals: label values and regexes, which may hold anything. */
const STRING = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g
/** Label matchers, ranges, Grafana variables, numbers and durations, names, any other character. */
const TOKEN = /\{[^}]*\}|\[[^\]]*\]|\$\{[^}]*\}|\$\w+|\d[\w.]*|[A-Za-z_:][\w:]*|\S/g

interface MetricReference {
  name: string
  /** The innermost function or aggregation whose argument list holds the reference (`rate`, `sum`, …). */
  call: string | undefined
}

/** The metric names an expression selects, each with the call around it. */
function metricReferences(expr: string): MetricReference[] {
  const tokens = expr.replace(STRING, '""').match(TOKEN) ?? []
  const word = (i: number) => /^[A-Za-z_:]/.test(tokens[i] ?? '') && tokens[i]!.toLowerCase()
  /** From a label-list modifier at `i` (`by`, `on`, …), the index of the list's `)`. */
  const skipLabelList = (i: number) => {
    if (tokens[i + 1] !== '(') return i
    while (i < tokens.length && tokens[i] !== ')') i++
    return i
  }
  const references: MetricReference[] = []
  const calls: (string | undefined)[] = []
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    const name = word(i)
    // A parenthesis that does not open a call groups: what it holds is still inside the same call.
    if (token === '(') calls.push(calls.at(-1))
    else if (token === ')') calls.pop()
    else if (!name) continue
    else if (LABEL_LISTS.has(name)) i = skipLabelList(i)
    else if (AGGREGATIONS.has(name) || tokens[i + 1] === '(') {
      // A call; an aggregation may put its modifier first: `sum by (le) (…)`.
      const modifier = word(i + 1)
      if (modifier && LABEL_LISTS.has(modifier)) i = skipLabelList(i + 1)
      if (tokens[i + 1] === '(') {
        calls.push(name)
        i++
      }
    } else if (!KEYWORDS.has(name)) references.push({ name: token, call: calls.at(-1) })
  }
  return references
}

const CONTRACT = seriesIndex([...SALES_METRICS, ...DEFAULT_METRICS])
const RULES_MAY_USE = seriesIndex([...SALES_METRICS, ...DEFAULT_METRICS, ...SCRAPE_METRICS])
const RATE_FUNCTIONS = new Set(['rate', 'irate', 'increase'])

/** What is wrong with the metric names `expr` selects, given the metrics it may use. */
function problemsOf(expr: string, allowed: ReadonlyMap<string, MetricSpec>, options: { countersThroughRate: boolean }): string[] {
  const problems: string[] = []
  if (expr.includes('__name__')) problems.push('selects by __name__ (the names could not be checked)')
  const references = metricReferences(expr)
  if (references.length === 0) problems.push('selects no metric')
  for (const { name, call } of references) {
    const metric = allowed.get(name)
    if (!metric) problems.push(`${name} is not in the metric contract (test/support/metric-names.ts)`)
    else if (metric.type === 'gauge' && call && RATE_FUNCTIONS.has(call)) problems.push(`${call}() of the gauge ${name}`)
    else if (metric.type !== 'gauge' && options.countersThroughRate && !(call && RATE_FUNCTIONS.has(call)))
      problems.push(`${metric.type} series ${name} read without rate() or increase()`)
  }
  if (references.some(({ name }) => name.endsWith('_bucket')) && !/histogram_quantile\([\s\S]*\bby \([^)]*\ble\b/.test(expr))
    problems.push('reads _bucket series outside histogram_quantile(…, sum by (…, le) (…))')
  return problems
}

describe('metric names in PromQL (the checker itself)', () => {
  it('finds the names and the calls around them, not functions, keywords, labels, strings or durations', () => {
    const expr = `histogram_quantile(0.99, sum by (job, le) (rate(a_bucket{route!~"/health.*|x", le=~"1|2"}[5m])))
      > 1 and on (instance) group_left (version) b_info offset 1h or absent(c_total{job="x"} > 0)
      unless deriv((min by (projection) (d_lag))[5m:15s]) > bool 2 * time() - sum(rate(e_total[$__rate_interval])) by (kind)`
    expect(metricReferences(expr)).toEqual([
      { name: 'a_bucket', call: 'rate' },
      { name: 'b_info', call: undefined },
      { name: 'c_total', call: 'absent' },
      { name: 'd_lag', call: 'min' },
      { name: 'e_total', call: 'rate' },
    ])
  })

  it('reports names outside the contract, rates of gauges, counters read raw and buckets without le', () => {
    const allowed = seriesIndex([
      { name: 'g', type: 'gauge', labels: [] },
      { name: 'c_total', type: 'counter', labels: [] },
      { name: 'h', type: 'histogram', labels: [] },
    ])
    const check = (expr: string) => problemsOf(expr, allowed, { countersThroughRate: true })
    expect(check('sum(rate(c_total[5m])) / sum(rate(h_count[5m])) + max(g)')).toEqual([])
    expect(check('histogram_quantile(0.5, sum by (le) (rate(h_bucket[5m])))')).toEqual([])
    expect(check('rate(other_total[5m])')).toEqual(['other_total is not in the metric contract (test/support/metric-names.ts)'])
    expect(check('rate(h[5m])')).toEqual(['h is not in the metric contract (test/support/metric-names.ts)'])
    expect(check('deriv(g[5m]) + rate(g[5m])')).toEqual(['rate() of the gauge g'])
    expect(check('sum(c_total)')).toEqual(['counter series c_total read without rate() or increase()'])
    expect(check('histogram_quantile(0.5, sum(rate(h_bucket[5m])))')).toEqual([
      'reads _bucket series outside histogram_quantile(…, sum by (…, le) (…))',
    ])
    expect(check('{__name__=~"sales_.+"}')).toEqual(['selects by __name__ (the names could not be checked)', 'selects no metric'])
  })
})

// --- Grafana ----------------------------------------------------------------------------------

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as unknown
if (!isObject(dashboard)) throw new Error(`${DASHBOARD} is not a JSON object`)
const panels = (function flatten(list: unknown): Json[] {
  return objects(list).flatMap((panel) => [panel, ...flatten(panel.panels)])
})(dashboard.panels)
const queryPanels = panels.filter((panel) => panel.type !== 'row')
const provisionedUid = text(objects(readYaml(DATASOURCES).datasources).find((source) => source.type === 'prometheus')?.uid)

describe('Grafana dashboard', () => {
  it('is a provisioned dashboard of the expected schema, with unique panel ids', () => {
    expect(dashboard.uid).toBe('sales-orders')
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36)
    expect(queryPanels.length).toBeGreaterThanOrEqual(20)
    const ids = panels.map((panel) => panel.id)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('gives every panel a title and the provisioned Prometheus as data source, every target an expression', () => {
    expect(provisionedUid).not.toBe('')
    const problems = panels.flatMap((panel) => {
      const title = text(panel.title)
      const found: string[] = []
      if (title.trim() === '') found.push(`panel ${String(panel.id)} has no title`)
      if (panel.type === 'row') return found
      const datasource = isObject(panel.datasource) ? panel.datasource : {}
      if (datasource.type !== 'prometheus' || datasource.uid !== provisionedUid)
        found.push(`${title}: data source is not the provisioned Prometheus (uid ${provisionedUid})`)
      const targets = objects(panel.targets)
      if (targets.length === 0) found.push(`${title}: no query`)
      for (const target of targets) {
        if (text(target.expr).trim() === '') found.push(`${title} ${text(target.refId)}: no expression`)
        if (isObject(target.datasource) && target.datasource.uid !== provisionedUid)
          found.push(`${title} ${text(target.refId)}: another data source`)
      }
      return found
    })
    expect(problems).toEqual([])
  })

  it('queries only metrics of the contract: counters and histograms through rate(), buckets with le', () => {
    const problems = queryPanels.flatMap((panel) =>
      objects(panel.targets).flatMap((target) =>
        problemsOf(text(target.expr), CONTRACT, { countersThroughRate: true }).map(
          (problem) => `${text(panel.title)} ${text(target.refId)}: ${problem}`,
        ),
      ),
    )
    expect(problems).toEqual([])
  })

  it('reads its variables from contract metrics', () => {
    const variables = objects(isObject(dashboard.templating) ? dashboard.templating.list : [])
    expect(variables.length).toBeGreaterThan(0)
    for (const variable of variables) {
      const query = isObject(variable.query) ? text(variable.query.query) : text(variable.query)
      const [, selector = ''] = /^label_values\((.+),\s*\w+\)$/.exec(query) ?? []
      expect(problemsOf(selector, CONTRACT, { countersThroughRate: false }), `variable ${text(variable.name)}`).toEqual([])
    }
  })

  it('shows every metric of the service', () => {
    const references = queryPanels.flatMap((panel) => objects(panel.targets).flatMap((t) => metricReferences(text(t.expr))))
    const shown = new Set(references.map(({ name }) => CONTRACT.get(name)?.name))
    expect(SALES_METRICS.map(({ name }) => name).filter((name) => !shown.has(name))).toEqual([])
  })
})

// --- Prometheus -------------------------------------------------------------------------------

const rules = objects(readYaml(`${PROMETHEUS_DIR}/alerts.yml`).groups).flatMap((group) => objects(group.rules))

describe('Prometheus alert rules', () => {
  it('query only metrics of the contract (and up), with no rate() of a gauge', () => {
    expect(rules.length).toBeGreaterThan(0)
    const problems = rules.flatMap((rule) =>
      problemsOf(text(rule.expr), RULES_MAY_USE, { countersThroughRate: false }).map((p) => `${text(rule.alert)}: ${p}`),
    )
    expect(problems).toEqual([])
  })

  it('each wait a `for` duration and carry a severity, a summary and a description', () => {
    for (const rule of rules) {
      const labels = isObject(rule.labels) ? rule.labels : {}
      const annotations = isObject(rule.annotations) ? rule.annotations : {}
      expect(rule.alert, 'only alerting rules').toMatch(/^Sales[A-Za-z0-9]+$/)
      expect(rule.for, `${text(rule.alert)}: for`).toMatch(/^\d+[smh]$/)
      expect(labels.severity, `${text(rule.alert)}: severity`).toMatch(/^(warning|critical)$/)
      expect(text(annotations.summary), `${text(rule.alert)}: summary`).not.toBe('')
      expect(text(annotations.description), `${text(rule.alert)}: description`).not.toBe('')
    }
  })
})

// --- docker-compose.yml -----------------------------------------------------------------------

describe('docker-compose.yml and the deploy files', () => {
  const services = readYaml('docker-compose.yml').services
  const service = (name: string): Json => (isObject(services) && isObject(services[name]) ? services[name] : {})
  /** Where `service` mounts the host path `hostPath` (a `./host:/container[:ro]` volume). */
  const mountOf = (name: string, hostPath: string): string | undefined =>
    [service(name).volumes]
      .flat()
      .map((volume) => text(volume).split(':'))
      .find(([host]) => host === `./${hostPath}`)?.[1]

  it('Prometheus scrapes the API services on their metrics port and finds its rules where they are mounted', () => {
    const config = readYaml(`${PROMETHEUS_DIR}/prometheus.yml`)
    const jobs = objects(config.scrape_configs)
    expect(jobs.map((job) => job.job_name)).toEqual(['sales-orders'])
    const targets = objects(jobs[0]?.static_configs).flatMap((c) => (c.targets as string[] | undefined) ?? [])
    expect(targets).toEqual(['api-1:9100', 'api-2:9100'])
    for (const target of targets) {
      const [name = '', port = ''] = target.split(':')
      expect(service(name).build, `${target} is an instance of the service`).toBe('.')
      expect(service(name).ports, `${target} is its metrics port`).toContainEqual(expect.stringMatching(`:${port}$`))
    }
    expect(isObject(config.global) && config.global.scrape_interval).toBe('15s')

    expect(mountOf('prometheus', PROMETHEUS_DIR)).toBe('/etc/prometheus')
    expect(service('prometheus').command).toContain('--config.file=/etc/prometheus/prometheus.yml')
    for (const file of (config.rule_files as string[] | undefined) ?? [])
      expect(existsSync(`${PROMETHEUS_DIR}/${file}`), file).toBe(true)
  })

  it('Grafana gets the provisioning and the dashboards where its provider looks for them', () => {
    expect(mountOf('grafana', 'deploy/grafana/provisioning')).toBe('/etc/grafana/provisioning')
    const mounted = mountOf('grafana', 'deploy/grafana/dashboards')
    const [provider] = objects(readYaml(DASHBOARD_PROVIDERS).providers)
    expect(mounted).toBeDefined()
    expect(isObject(provider?.options) && provider.options.path).toBe(mounted)
    const environment = service('grafana').environment
    const home = isObject(environment) ? text(environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH) : ''
    expect(posix.relative(mounted ?? '', home)).toBe(posix.basename(DASHBOARD))

    const [source] = objects(readYaml(DATASOURCES).datasources)
    expect(source?.url).toBe('http://prometheus:9090')
  })
})

// --- promtool ---------------------------------------------------------------------------------

const promtoolFound = spawnSync('promtool', ['--version']).status === 0

/** Runs promtool; returns its status and everything it printed. */
function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { encoding: 'utf8' })
  if (result.error) throw new Error(`promtool ${args.join(' ')}: ${result.error.message}`)
  return { status: result.status, output: result.stdout + result.stderr }
}

// Under CI promtool must be there (.ci/run installs it): only a developer's machine may skip.
describe.skipIf(!isCI && !promtoolFound)('promtool', () => {
  it.each([
    ['check', 'config', `${PROMETHEUS_DIR}/prometheus.yml`],
    ['check', 'rules', `${PROMETHEUS_DIR}/alerts.yml`],
    ['test', 'rules', `${PROMETHEUS_DIR}/alerts.test.yml`],
  ])('%s %s %s passes with no warning', (...args) => {
    const { status, output } = promtool(...args)
    expect(status, output).toBe(0)
    expect(output).toMatch(/SUCCESS/)
    expect(output).not.toMatch(/warn/i)
  })
})

import type { GeneratedAdmin } from './plugins/users.js'

export interface BannerFacts {
  version: string
  /** Base URL clients reach the service at, without a trailing slash. */
  url: string
  /** `mongodb`, or the embedded data directory, or undefined for the embedded mode keeping nothing. */
  storage: { kind: 'mongodb'; database: string } | { kind: 'embedded'; dataDir: string | undefined }
  admin: GeneratedAdmin | undefined
}

/**
 * What the service tells the person who started it, once it listens: where the API and its
 * docs are, where the data is, and — on the start that made the admin — the admin's e-mail,
 * password and a `curl` that gets a token. Later starts say when that was, never the password.
 * Printed outside the logs (stderr): a password must never reach a log collector.
 */
export function startBanner({ version, url, storage, admin }: BannerFacts): string {
  const lines = [
    `Sales Order Service ${version} is listening — ${storageLine(storage)}`,
    `  Dashboard  ${url}/            (in a browser; API clients get what is where, as JSON)`,
    `  API docs   ${url}/docs        (OpenAPI: ${url}/docs/json)`,
    `  API        ${url}/api/...     (Bearer token from POST ${url}/api/auth/token)`,
    `  Health     ${url}/health`,
  ]
  if (admin?.password !== undefined) {
    const body = JSON.stringify({ email: admin.email, password: admin.password })
    lines.push(
      '',
      storage.kind === 'embedded' && storage.dataDir === undefined
        ? 'An admin was made for this run (DATA_DIR=:memory: keeps nothing, so a new one each start):'
        : 'First start: an admin was made. Its password is shown this once, here only (never logged, kept only as a hash):',
      `  e-mail     ${admin.email}`,
      `  password   ${admin.password}`,
      'Get a token (curl and jq), then call the API with -H "authorization: Bearer $TOKEN":',
      `  TOKEN=$(curl -s ${url}/api/auth/token -H 'content-type: application/json' -d '${body}' | jq -r .access_token)`,
    )
  } else if (admin) {
    lines.push(
      '',
      `Admin ${admin.email}: its password was printed by the first start, at ${admin.createdAt.toISOString()}, in that ` +
        'terminal — it is not kept in clear anywhere. Lost it? Start once with ADMIN_EMAIL and ADMIN_PASSWORD set to add another admin.',
    )
  }
  return lines.join('\n')
}

function storageLine(storage: BannerFacts['storage']): string {
  if (storage.kind === 'mongodb') return `on MongoDB (database ${storage.database})`
  if (storage.dataDir === undefined) return 'embedded, in memory: nothing is kept when it stops (DATA_DIR=:memory:)'
  return `embedded, data kept in ${storage.dataDir}`
}

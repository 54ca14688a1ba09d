import { readFileSync } from 'node:fs'

/** The service's version: package.json's, read once (src/ and dist/ are both one level below the root). */
export const SERVICE_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version

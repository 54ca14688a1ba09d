import { type Config, ConfigError, loadConfig } from '../infra/config.js'
import { type Storage, openStorage } from '../storage/open-storage.js'

/** What the command-line tools print and how they stop: plain lines, never a stack trace for an operator's problem. */

export const say = (line: string) => process.stdout.write(`${line}\n`)

/** `line` on stderr, then exit with `code` (1: cannot run, 2: used wrongly). */
export function fail(line: string, code: number): never {
  process.stderr.write(`${line}\n`)
  process.exit(code)
}

/** The configuration, or what is wrong with it as one line (exit 1). */
export function configOrFail(): Config {
  try {
    return loadConfig()
  } catch (error) {
    return fail(error instanceof ConfigError ? error.message : String(error), 1)
  }
}

/** The store opened, or why not as one line (exit 1): `MongoDB at MONGODB_URI is not reachable: connect ECONNREFUSED …`. */
export async function openStorageOrFail(config: Parameters<typeof openStorage>[0]): Promise<Storage> {
  try {
    return await openStorage(config)
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error), 1)
  }
}

import { existsSync } from 'node:fs'

/**
 * `.env` in the working directory fills in what the environment does not set (the
 * environment wins). `DOTENV=off` skips it: tests launch the service with an explicit
 * environment and must never pick up a developer's `.env`.
 */
export function loadDotEnv(env: Record<string, string | undefined> = process.env): void {
  if (env.DOTENV !== 'off' && existsSync('.env')) process.loadEnvFile('.env')
}

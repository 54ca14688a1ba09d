import { existsSync } from 'node:fs'
import { ConfigError, loadConfig } from './infra/config.js'
import { createLogger } from './infra/logger.js'
import { startServer } from './server.js'

// `.env` fills in what the environment does not set; the environment wins.
if (process.env.DOTENV !== 'off' && existsSync('.env')) process.loadEnvFile('.env')

/** A configuration problem is one plain line on stderr and exit code 1. */
function refuse(error: ConfigError): never {
  process.stderr.write(`${error.message}\n`)
  process.exit(1)
}

let config
try {
  config = loadConfig()
} catch (error) {
  if (error instanceof ConfigError) refuse(error)
  throw error
}

const logger = createLogger(config)
try {
  await startServer({ config, logger })
} catch (error) {
  if (error instanceof ConfigError) refuse(error)
  logger.fatal({ err: error }, `cannot start: ${(error as Error).message}`)
  process.exit(1)
}

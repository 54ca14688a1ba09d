import { existsSync } from 'node:fs'
import { ConfigError, loadConfig } from './infra/config.js'
import { createLogger } from './infra/logger.js'
import { startServer } from './server.js'

// `.env` fills in what the environment does not set; the environment wins.
if (existsSync('.env')) process.loadEnvFile('.env')

let config
try {
  config = loadConfig()
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  process.stderr.write(`${error.message}\n`)
  process.exit(1)
}

const logger = createLogger(config)
try {
  await startServer({ config, logger })
} catch (error) {
  logger.fatal({ err: error }, `cannot start: ${(error as Error).message}`)
  process.exit(1)
}

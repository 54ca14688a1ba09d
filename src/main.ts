import { ConfigError, loadConfig } from './infra/config.js'
import { loadDotEnv } from './infra/dotenv.js'
import { createLogger } from './infra/logger.js'
import { startServer } from './server.js'

loadDotEnv()

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

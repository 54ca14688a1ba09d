import { ConfigError, loadConfig } from './infra/config.js'
import { loadDotEnv } from './infra/dotenv.js'
import { createLogger } from './infra/logger.js'
import { startServer } from './server.js'

loadDotEnv()

/** A configuration problem, or a DATA_DIR that cannot be used, is one plain line on stderr and exit code 1. */
function refuse(error: Error): never {
  process.stderr.write(`${error.message}\n`)
  process.exit(1)
}

/** DATA_DIR locked by another process, or its event log damaged: the operator's to sort out, not a crash. */
const isDataDirRefusal = (error: unknown) => String((error as { code?: unknown } | null)?.code).startsWith('DATA_DIR.')

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
  if (error instanceof ConfigError || isDataDirRefusal(error)) refuse(error as Error)
  logger.fatal({ err: error }, `cannot start: ${(error as Error).message}`)
  process.exit(1)
}

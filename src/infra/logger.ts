import { type DestinationStream, type Logger, pino } from 'pino'
import type { Config } from './config.js'

/** Paths removed from every log line: credentials never reach the logs. */
const REDACTED_PATHS = [
  'password',
  '*.password',
  'password_hash',
  '*.password_hash',
  'access_token',
  '*.access_token',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'headers.cookie',
  'req.headers.cookie',
]

/** The service logger: pino JSON with the instance id on every line. */
export function createLogger(config: Pick<Config, 'logLevel' | 'instanceId'>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { instance: config.instanceId },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  )
}

import { AppError } from '../shared/errors.js'
import type { ExpectedVersion } from './event-store.js'

/** The stream was not at the version the writer expected; nothing was written. */
export class ConcurrencyError extends AppError {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super('conflict', 'STREAM.CONCURRENCY', `Stream ${stream} is at version ${actual}, expected ${String(expected)}`, {
      extensions: { stream, expected_version: expected, current_version: actual },
    })
  }
}

/** A command id was reused for a different stream; the original commit is untouched. */
export class CommandIdConflictError extends AppError {
  constructor(readonly commandId: string) {
    super('unprocessable', 'STREAM.COMMAND_ID_REUSED', 'This command id was already used for another stream')
  }
}

/** An append that breaks the store's own limits (not a domain rule). */
export class InvalidAppendError extends AppError {
  constructor(message: string) {
    super('invalid', 'STREAM.INVALID_APPEND', message)
  }
}

/** Other writers kept taking the next position for longer than the append timeout; nothing was written. */
export class EventStoreBusyError extends AppError {
  constructor(attempts: number) {
    super('unavailable', 'STREAM.BUSY', `The event store is too busy to take this write (${attempts} attempts); retry shortly`)
  }
}

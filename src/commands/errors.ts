import { AppError, type FieldError } from '../shared/errors.js'

/** A transition the aggregate's lifecycle does not allow from its current status (409). */
export class IllegalTransitionError extends AppError {
  constructor(aggregate: 'ORDER' | 'SKU', command: string, currentStatus: string) {
    super(
      'conflict',
      `${aggregate}.ILLEGAL_TRANSITION`,
      `Cannot ${command} when the ${aggregate.toLowerCase()} is ${currentStatus}`,
      {
        extensions: { current_status: currentStatus },
      },
    )
  }
}

export class SkuExistsError extends AppError {
  constructor(sku: string) {
    super('conflict', 'SKU.EXISTS', `SKU ${sku} already exists`)
  }
}

export class SkuNotFoundError extends AppError {
  constructor(sku: string) {
    super('not_found', 'SKU.NOT_FOUND', `No SKU ${sku}`)
  }
}

export class OrderNotFoundError extends AppError {
  constructor(orderId: string) {
    super('not_found', 'ORDER.NOT_FOUND', `No order ${orderId}`)
  }
}

/** A well-formed order that breaks a business rule (422), with every offending item listed. */
export class OrderRejectedError extends AppError {
  constructor(code: string, message: string, errors: FieldError[] = []) {
    super('unprocessable', code, message, { errors })
  }
}

/** `If-Match` named another version than the current one (412). */
export class VersionMismatchError extends AppError {
  constructor(expected: number, current: number) {
    super(
      'precondition_failed',
      'REQUEST.VERSION_MISMATCH',
      `If-Match expected version ${expected}, the current version is ${current}`,
      {
        extensions: { current_version: current },
      },
    )
  }
}

/** The aggregate changed status while the command ran; the client should reload (409). */
export class ConcurrentChangeError extends AppError {
  constructor(what: string, from: string, to: string) {
    super(
      'conflict',
      'STREAM.CONCURRENT_CHANGE',
      `The ${what} went from ${from} to ${to} while this request ran; reload and retry`,
      {
        extensions: { current_status: to },
      },
    )
  }
}

/** A decider produced an event its schema refuses: a bug, never written (500). */
export class InvalidDecisionError extends Error {
  constructor(problem: string) {
    super(`decider produced an invalid event: ${problem}`)
    this.name = 'InvalidDecisionError'
  }
}

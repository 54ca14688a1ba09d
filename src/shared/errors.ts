/**
 * Typed errors shared by every layer. Each carries a stable machine-readable `code`
 * and a `kind` that the API maps to an HTTP status; nothing here knows about HTTP.
 */

export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'unprocessable'
  | 'rate_limited'
  | 'upgrade_required'
  | 'unavailable'

/** One failing input field, as listed in a problem response's `errors`. */
export interface FieldError {
  path: string
  message: string
}

export interface AppErrorDetails {
  /** Every failing field, for `invalid` and `unprocessable` errors. */
  errors?: FieldError[]
  /** Extra members copied into the problem response (e.g. `current_status`). */
  extensions?: Record<string, unknown>
  cause?: unknown
}

/** Base of every error that becomes a 4xx/503 problem response. */
export class AppError extends Error {
  readonly errors: FieldError[] | undefined
  readonly extensions: Record<string, unknown> | undefined

  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    details: AppErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.name = new.target.name
    this.errors = details.errors
    this.extensions = details.extensions
  }
}

export class NotFoundError extends AppError {
  constructor(code: string, message: string, details?: AppErrorDetails) {
    super('not_found', code, message, details)
  }
}

export class ValidationError extends AppError {
  constructor(code: string, message: string, errors: FieldError[]) {
    super('invalid', code, message, { errors })
  }
}

/** Too many requests in the window: 429 with `Retry-After`. */
export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number, code = 'RATE_LIMITED', which: { limit?: string; detail?: string } = {}) {
    super('rate_limited', code, which.detail ?? `Too many requests; retry in ${retryAfterSeconds} s`, {
      extensions: { retry_after: retryAfterSeconds, ...(which.limit === undefined ? {} : { limit: which.limit }) },
    })
  }
}

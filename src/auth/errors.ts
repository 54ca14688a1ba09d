import { AppError } from '../shared/errors.js'

/** No valid credentials: 401 with a `WWW-Authenticate: Bearer` challenge. */
export class AuthenticationError extends AppError {
  constructor(code: string, message: string) {
    super('unauthenticated', code, message)
  }
}

/** Authenticated, but the role may not do this: 403. */
export class ForbiddenError extends AppError {
  constructor(message = 'Your role does not allow this') {
    super('forbidden', 'AUTH.FORBIDDEN', message)
  }
}

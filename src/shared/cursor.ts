import { ValidationError } from './errors.js'

/** Opaque page cursors: base64url JSON of where the previous page ended. */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url')
}

/** Decodes a cursor, checking it has exactly the expected fields and types; 400 otherwise. */
export function decodeCursor<T extends Record<string, 'string' | 'number'>>(
  cursor: string,
  shape: T,
): { [K in keyof T]: T[K] extends 'string' ? string : number } {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    value = undefined
  }
  const valid =
    typeof value === 'object' &&
    value !== null &&
    Object.keys(value).length === Object.keys(shape).length &&
    Object.entries(shape).every(([key, type]) => typeof (value as Record<string, unknown>)[key] === type)
  if (!valid)
    throw new ValidationError('REQUEST.INVALID_CURSOR', 'The cursor is not one this API issued', [
      { path: 'querystring/cursor', message: 'is not a valid cursor' },
    ])
  return value as { [K in keyof T]: T[K] extends 'string' ? string : number }
}

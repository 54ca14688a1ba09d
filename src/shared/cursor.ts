import { ValidationError } from './errors.js'

/** Opaque page cursors: base64url JSON of where the previous page ended. */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url')
}

/** A cursor field: any string, a whole number >= 0, or a time (epoch ms a `Date` can hold). */
type FieldType = 'string' | 'number' | 'time'

const MAX_TIME_MS = 8.64e15

const FIELD_CHECKS: Record<FieldType, (value: unknown) => boolean> = {
  string: (value) => typeof value === 'string',
  number: (value) => Number.isSafeInteger(value) && (value as number) >= 0,
  time: (value) => Number.isSafeInteger(value) && Math.abs(value as number) <= MAX_TIME_MS,
}

/** Decodes a cursor, checking it has exactly the expected fields and types; 400 otherwise. */
export function decodeCursor<T extends Record<string, FieldType>>(
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
    Object.entries(shape).every(([key, type]) => FIELD_CHECKS[type]((value as Record<string, unknown>)[key]))
  if (!valid)
    throw new ValidationError('REQUEST.INVALID_CURSOR', 'The cursor is not one this API issued', [
      { path: 'querystring/cursor', message: 'is not a valid cursor' },
    ])
  return value as { [K in keyof T]: T[K] extends 'string' ? string : number }
}

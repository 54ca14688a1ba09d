/**
 * The one e-mail rule, used by configuration (ADMIN_EMAIL), every route schema and the user
 * stores, so whatever one accepts the others accept. Letters, marks and digits of any
 * script plus `_ % + ' -`, dot-separated, in the local part (at most 64) and the domain
 * labels (a single label such as `localhost` is allowed). Nothing else: no control, format
 * (bidi overrides, zero-width), surrogate, symbol or full-width compatibility characters,
 * no spaces, quotes or `<>`. Addresses are kept NFC and lower-case (`normalizeEmail`).
 */
const ATOM = String.raw`[\p{L}\p{M}\p{N}_%+'\-]+`
const LABEL = String.raw`[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}\-]*[\p{L}\p{M}\p{N}])?`

/** ECMAScript pattern (compiled with the `u` flag, as JSON Schema validators do). */
export const EMAIL_PATTERN = `^(?![^@]{65})(?![\\s\\S]*[\\uFF00-\\uFFEF])${ATOM}(?:\\.${ATOM})*@${LABEL}(?:\\.${LABEL})*$`
export const EMAIL_MAX_LENGTH = 254

const EMAIL = new RegExp(EMAIL_PATTERN, 'u')

export function isEmail(value: string): boolean {
  return value.length <= EMAIL_MAX_LENGTH && EMAIL.test(value)
}

/** The form an address is stored and compared in: NFC, lower-case. */
export function normalizeEmail(email: string): string {
  return email.normalize('NFC').toLowerCase()
}

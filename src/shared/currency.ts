/** ISO 4217 codes this runtime knows (Intl), plus a few common ones older ICU data may lack. */
const CODES = new Set([...Intl.supportedValuesOf('currency'), 'EUR', 'USD', 'GBP', 'INR', 'JPY'])

export function isCurrency(code: string): boolean {
  return CODES.has(code)
}

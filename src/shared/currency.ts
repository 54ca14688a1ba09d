/** ISO 4217 codes this runtime knows (Intl), plus a few common ones older ICU data may lack. */
const CODES = new Set([...Intl.supportedValuesOf('currency'), 'EUR', 'USD', 'GBP', 'INR', 'JPY'])

export function isCurrency(code: string): boolean {
  return CODES.has(code)
}

const minorDigits = new Map<string, number>()

/** How many digits a currency's minor unit has (2 for INR and USD, 0 for JPY), per ISO 4217 (Intl). */
export function minorUnitDigits(currency: string): number {
  let digits = minorDigits.get(currency)
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
    minorDigits.set(currency, digits)
  }
  return digits
}

/** How many minor units a currency's major unit has, as digits (EUR 2, JPY 0, BHD 3). */
export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
  } catch {
    return 2
  }
}

/** An amount in minor units as the currency is written (exact: the decimal is built as text). */
export function money(minor: number, currency: string): string {
  const digits = minorDigits(currency)
  const sign = minor < 0 ? '-' : ''
  const units = String(Math.abs(minor)).padStart(digits + 1, '0')
  const decimal = digits === 0 ? units : `${units.slice(0, -digits)}.${units.slice(-digits)}`
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(
      `${sign}${decimal}` as Intl.StringNumericLiteral,
    )
  } catch {
    return `${sign}${decimal} ${currency}`
  }
}

/** An amount in minor units as a number of major units (for charts only: never added up again). */
export function major(minor: number, currency: string): number {
  return minor / 10 ** minorDigits(currency)
}

/** A date and time as people read it here, to the second. */
export function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
}

/** The time zone the browser is in (IANA name). */
export const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone

/** `date` (a calendar date in the browser's zone) as YYYY-MM-DD. */
export function isoDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
}

/** The calendar date `days` after `date` (YYYY-MM-DD in, YYYY-MM-DD out, no time zone involved). */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}

/** Today's date in time zone `zone`, as YYYY-MM-DD. */
export function todayIn(zone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(),
  )
}

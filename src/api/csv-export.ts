import { Readable, pipeline } from 'node:stream'
import { stringify } from 'csv-stringify'
import type { FastifyReply, FastifyRequest } from 'fastify'
import Negotiator from 'negotiator'
import { minorUnitDigits } from '../shared/currency.js'

const CSV = 'text/csv'

/**
 * Whether the client asked for CSV: `?format=csv`, or an `Accept` header that prefers
 * `text/csv` to JSON (`?format=json` wins over the header).
 */
export function wantsCsv(request: FastifyRequest<{ Querystring: { format?: 'json' | 'csv' } }>): boolean {
  const { format } = request.query
  if (format !== undefined) return format === 'csv'
  if (request.headers.accept === undefined) return false
  return new Negotiator(request).mediaType(['application/json', CSV]) === CSV
}

/** A column: its header and how a row gives its cell (`undefined`/`null` leave it empty). */
export type CsvColumns<Row> = readonly (readonly [header: string, cell: (row: Row) => string | number | null | undefined])[]

/**
 * Streams `rows` as an RFC 4180 CSV download (header row, CRLF; quoting by csv-stringify, cells
 * that a spreadsheet would run as a formula — starting with `=`, `+`, `-`, `@`, tab or CR — are
 * prefixed with `'`). Rows are pulled one page at a time as the client reads, so memory stays
 * flat whatever their number. An error after the first byte can only cut the download short
 * (the status is sent): it is logged and the connection closed, so the file is visibly incomplete.
 */
export function sendCsv<Row>(
  request: FastifyRequest,
  reply: FastifyReply,
  filename: string,
  columns: CsvColumns<Row>,
  rows: Iterable<Row> | AsyncIterable<Row>,
): FastifyReply {
  const csv = stringify({
    header: true,
    columns: columns.map(([header]) => header),
    record_delimiter: 'windows',
    escape_formulas: true,
  })
  const records = Readable.from(
    (async function* () {
      for await (const row of rows) yield columns.map(([, cell]) => cell(row) ?? null)
    })(),
  )
  pipeline(records, csv, (error) => {
    if (error) request.log.error({ err: error }, 'CSV export failed after it started')
  })
  return reply
    .header('content-type', `${CSV}; charset=utf-8; header=present`)
    .header('content-disposition', `attachment; filename="${filename}"`)
    .send(csv)
}

/** An amount in minor units as a decimal string in its currency (12345 INR → "123.45", 500 JPY → "500"). */
export function decimal(minor: number, currency: string): string {
  const digits = minorUnitDigits(currency)
  if (digits === 0) return String(minor)
  const sign = minor < 0 ? '-' : ''
  const text = String(Math.abs(minor)).padStart(digits + 1, '0')
  return `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`
}

/** A file name's date stamp: `2026-12-01T09-30-00Z`, safe in every file system. */
export const fileStamp = (at = new Date()): string =>
  at
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-')

import type { OrderLineData } from '../../events/catalog.js'
import { OrderRejectedError } from '../errors.js'

export interface PricedOrder {
  items: OrderLineData[]
  subtotal: number
  tax_amount: number
  total_amount: number
}

type UnpricedLine = Omit<OrderLineData, 'line_subtotal' | 'line_tax' | 'line_total'>

const MAX = BigInt(Number.MAX_SAFE_INTEGER)

/** `round_half_up(amount * rate_bp / 10000)` for non-negative integers, exactly (BigInt). */
export function taxOf(amount: bigint, rateBp: number): bigint {
  return (amount * BigInt(rateBp) + 5000n) / 10_000n
}

/**
 * Prices lines in integer minor units (DESIGN §3): line_subtotal = quantity × unit_price,
 * line_tax = round_half_up(line_subtotal × tax_rate_bp / 10000), line_total = sum of both;
 * order totals are the sums. Any amount past Number.MAX_SAFE_INTEGER is refused, never rounded.
 */
export function priceLines(lines: readonly UnpricedLine[]): PricedOrder {
  return priceExactlyInDoubles(lines) ?? priceWithBigInts(lines)
}

/** The common case: every intermediate value is an integer below 2^53, so doubles are exact. */
function priceExactlyInDoubles(lines: readonly UnpricedLine[]): PricedOrder | undefined {
  let subtotal = 0
  let taxAmount = 0
  const items: OrderLineData[] = []
  for (const line of lines) {
    const lineSubtotal = line.quantity * line.unit_price
    const scaledTax = lineSubtotal * line.tax_rate_bp + 5000
    if (!Number.isSafeInteger(scaledTax)) return undefined
    const lineTax = Math.floor(scaledTax / 10_000)
    items.push(pricedLine(line, lineSubtotal, lineTax))
    subtotal += lineSubtotal
    taxAmount += lineTax
  }
  return Number.isSafeInteger(subtotal + taxAmount)
    ? { items, subtotal, tax_amount: taxAmount, total_amount: subtotal + taxAmount }
    : undefined
}

function priceWithBigInts(lines: readonly UnpricedLine[]): PricedOrder {
  let subtotal = 0n
  let taxAmount = 0n
  const items = lines.map((line, i) => {
    const lineSubtotal = BigInt(line.quantity) * BigInt(line.unit_price)
    const lineTax = taxOf(lineSubtotal, line.tax_rate_bp)
    const lineTotal = lineSubtotal + lineTax
    if (lineTotal > MAX) {
      throw new OrderRejectedError('ORDER.AMOUNT_TOO_LARGE', 'An amount of this order is too large to represent exactly', [
        { path: `body/items/${i}`, message: `line total ${lineTotal} exceeds ${MAX}` },
      ])
    }
    subtotal += lineSubtotal
    taxAmount += lineTax
    return pricedLine(line, Number(lineSubtotal), Number(lineTax))
  })
  if (subtotal + taxAmount > MAX) {
    throw new OrderRejectedError('ORDER.AMOUNT_TOO_LARGE', 'An amount of this order is too large to represent exactly', [
      { path: 'body/items', message: `order total ${subtotal + taxAmount} exceeds ${MAX}` },
    ])
  }
  return { items, subtotal: Number(subtotal), tax_amount: Number(taxAmount), total_amount: Number(subtotal + taxAmount) }
}

/** Field by field rather than `{ ...line, … }`: see `withChanges` for why on Node 20. */
function pricedLine(line: UnpricedLine, lineSubtotal: number, lineTax: number): OrderLineData {
  return {
    sku: line.sku,
    name: line.name,
    quantity: line.quantity,
    unit_price: line.unit_price,
    tax_rate_bp: line.tax_rate_bp,
    line_subtotal: lineSubtotal,
    line_tax: lineTax,
    line_total: lineSubtotal + lineTax,
  }
}

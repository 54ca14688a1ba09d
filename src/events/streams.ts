/** Stream names, one stream per aggregate (DESIGN §3): `order-ORD-00001`, `sku-ABC-1`. */
export const orderStream = (orderId: string) => `order-${orderId}`
export const skuStream = (sku: string) => `sku-${sku}`
/** The number in an order stream's name (`order-ORD-00042` → 42), or undefined for other streams. */
export const orderNumberOf = (stream: string): number | undefined => {
  const digits = /^order-ORD-(\d+)$/.exec(stream)?.[1]
  return digits === undefined ? undefined : Number(digits)
}

/** Stream names, one stream per aggregate (DESIGN §3): `order-ORD-00001`, `sku-ABC-1`. */
export const orderStream = (orderId: string) => `order-${orderId}`
export const skuStream = (sku: string) => `sku-${sku}`

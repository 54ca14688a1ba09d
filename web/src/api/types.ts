// The API's shapes as the dashboard reads them (DESIGN §6; the OpenAPI document at /docs/json
// is the reference). Only the fields the screens use are listed.

export type Role = 'admin' | 'sales_rep' | 'auditor'

export const ORDER_STATUSES = ['created', 'confirmed', 'shipped', 'delivered', 'cancelled'] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

export interface Token {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
}

export interface OrderItem {
  sku: string
  name: string
  quantity: number
  unit_price: number
  tax_rate_bp: number
  line_subtotal: number
  line_tax: number
  line_total: number
}

export interface Order {
  order_id: string
  sales_rep: string
  customer: { name: string; email?: string }
  items: OrderItem[]
  currency: string
  subtotal: number
  tax_amount: number
  total_amount: number
  status: OrderStatus
  version: number
  position: number
  created_at: string
  updated_at: string
  confirmed_at?: string
  shipped_at?: string
  delivered_at?: string
  cancelled_at?: string
  cancel_reason?: string
  carrier?: string
  tracking_number?: string
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

export interface HistoryEntry {
  type: string
  version: number
  position: number
  timestamp: string
  actor: string
  data: unknown
}

export interface Sku {
  sku: string
  name: string
  unit_price: number
  currency: string
  tax_rate_bp: number
  active: boolean
}

export interface User {
  email: string
  name: string
  role: Role
}

export type Granularity = 'hour' | 'day' | 'month'
export type GroupBy = 'none' | 'sales_rep' | 'sku'

export interface Figures {
  currency: string
  order_count: number
  items_sold: number
  subtotal: number
  tax_amount: number
  total_amount: number
  cancelled_count: number
  cancelled_amount: number
  net_amount: number
  average_order_value: number
}

export interface Bucket extends Figures {
  start: string
  end: string
  sales_rep?: string
  sku?: string
}

export interface Report {
  from: string
  to: string
  granularity: Granularity
  group_by: GroupBy
  tz: string
  currency?: string
  buckets: Bucket[]
  totals: Figures[]
}

export interface ProjectionStatus {
  name: 'orders' | 'skus' | 'summaries'
  generation: number
  state: string
  position: number
  lag: number
  active_here: boolean
  rebuild?: { generation: number; position: number; lag: number }
}

/** A real-time event (Socket.IO `new_order`, `order_event`, `sku_event`). */
export interface FeedEvent {
  event_id: string
  type: string
  position: number
  data: { order_id?: string; total_amount?: number; sales_rep?: string; currency?: string; customer?: { name: string } }
  metadata: { timestamp: string; source?: string; actor?: string }
}

/** An RFC 9457 problem as the service sends it. */
export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: string
  errors?: { path: string; message: string }[]
}

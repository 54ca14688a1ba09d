/**
 * Examples of the main bodies, as the service writes them (the linter checks each against
 * its schema). One order, ORD-00042, runs through them: placed, its SKU, its report day.
 */

const at = '2026-11-30T09:15:02.118Z'

export const SKU_EXAMPLE = {
  sku: 'WIDGET-1',
  name: 'Widget, blue',
  unit_price: 1250,
  currency: 'EUR',
  tax_rate_bp: 2000,
  active: true,
  version: 1,
  position: 17,
  created_at: '2026-11-02T08:00:00.000Z',
  updated_at: '2026-11-02T08:00:00.000Z',
}

export const NEW_SKU_EXAMPLE = { sku: 'WIDGET-1', name: 'Widget, blue', unit_price: 1250, currency: 'EUR', tax_rate_bp: 2000 }

export const NEW_ORDER_EXAMPLE = {
  customer: { name: 'Acme GmbH', email: 'buyer@acme.example' },
  items: [{ sku: 'WIDGET-1', quantity: 4 }],
  sales_rep: 'rep@corp.example',
  notes: 'Deliver to the loading dock',
}

export const ORDER_EXAMPLE = {
  order_id: 'ORD-00042',
  sales_rep: 'rep@corp.example',
  customer: { name: 'Acme GmbH', email: 'buyer@acme.example' },
  items: [
    {
      sku: 'WIDGET-1',
      name: 'Widget, blue',
      quantity: 4,
      unit_price: 1250,
      tax_rate_bp: 2000,
      line_subtotal: 5000,
      line_tax: 1000,
      line_total: 6000,
    },
  ],
  currency: 'EUR',
  subtotal: 5000,
  tax_amount: 1000,
  total_amount: 6000,
  notes: 'Deliver to the loading dock',
  status: 'created',
  version: 1,
  position: 1207,
  created_at: at,
  updated_at: at,
}

const figures = {
  currency: 'EUR',
  order_count: 1,
  items_sold: 4,
  subtotal: 5000,
  tax_amount: 1000,
  total_amount: 6000,
  cancelled_count: 0,
  cancelled_amount: 0,
  net_amount: 6000,
  average_order_value: 6000,
}

export const REPORT_EXAMPLE = {
  from: '2026-11-30T00:00:00.000Z',
  to: '2026-12-01T00:00:00.000Z',
  granularity: 'day',
  group_by: 'none',
  tz: 'UTC',
  buckets: [{ start: '2026-11-30T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z', ...figures }],
  totals: [figures],
}

export const TOKEN_EXAMPLE = { access_token: 'eyJhbGciOiJSUzI1NiIsImtpZCI6Ik…', token_type: 'Bearer', expires_in: 3600 }

export const USER_EXAMPLE = {
  email: 'rep@corp.example',
  name: 'Robin Rep',
  role: 'sales_rep',
  created_at: '2026-11-01T10:00:00.000Z',
  disabled: false,
}

/** What the main operations send and answer, by operationId (`request`) and by success status. */
export const OPERATION_EXAMPLES: Record<string, { request?: object; response?: object }> = {
  issueToken: { request: { email: 'rep@corp.example', password: 'correct horse battery staple' }, response: TOKEN_EXAMPLE },
  createUser: {
    request: { email: 'rep@corp.example', name: 'Robin Rep', password: 'correct horse battery staple', role: 'sales_rep' },
    response: USER_EXAMPLE,
  },
  getUser: { response: USER_EXAMPLE },
  createSku: { request: NEW_SKU_EXAMPLE, response: SKU_EXAMPLE },
  getSku: { response: SKU_EXAMPLE },
  listSkus: { response: { items: [SKU_EXAMPLE], next_cursor: null } },
  placeOrder: { request: NEW_ORDER_EXAMPLE, response: ORDER_EXAMPLE },
  getOrder: { response: ORDER_EXAMPLE },
  confirmOrder: {
    response: { ...ORDER_EXAMPLE, status: 'confirmed', version: 2, position: 1210, confirmed_at: at, updated_at: at },
  },
  cancelOrder: {
    request: { reason: 'Customer changed their mind' },
    response: {
      ...ORDER_EXAMPLE,
      status: 'cancelled',
      version: 2,
      position: 1211,
      cancelled_at: at,
      cancel_reason: 'Customer changed their mind',
    },
  },
  listOrders: { response: { items: [ORDER_EXAMPLE], next_cursor: 'eyJ0IjoxNzY0NDk0MTAyMTE4fQ' } },
  getRevenueSummaries: { response: REPORT_EXAMPLE },
}

/** The CSV export of an order list, as downloaded (header row, CRLF). */
export const ORDERS_CSV_EXAMPLE =
  'order_id,status,created_at,sales_rep,customer_name,customer_email,currency,items,skus,subtotal,tax_amount,total_amount,subtotal_decimal,tax_amount_decimal,total_amount_decimal,confirmed_at,shipped_at,delivered_at,cancelled_at,cancel_reason,carrier,tracking_number,notes\r\n' +
  `ORD-00042,created,${at},rep@corp.example,Acme GmbH,buyer@acme.example,EUR,1,WIDGET-1,5000,1000,6000,50.00,10.00,60.00,,,,,,,,Deliver to the loading dock\r\n`

export const REPORT_CSV_EXAMPLE =
  'start,end,currency,order_count,items_sold,cancelled_count,subtotal,tax_amount,total_amount,cancelled_amount,net_amount,average_order_value,subtotal_decimal,tax_amount_decimal,total_amount_decimal,cancelled_amount_decimal,net_amount_decimal,average_order_value_decimal\r\n' +
  '2026-11-30T00:00:00.000Z,2026-12-01T00:00:00.000Z,EUR,1,4,0,5000,1000,6000,0,6000,6000,50.00,10.00,60.00,0.00,60.00,60.00\r\n'

const problem = (status: number, title: string, code: string, detail: string, instance: string, extra: object = {}) => ({
  summary: `${status} ${code}`,
  value: {
    type: `urn:problem:${code.toLowerCase().replace(/[._]/g, '-')}`,
    title,
    status,
    detail,
    instance,
    code,
    ...extra,
  },
})

/** One problem example per status, each a real answer of this service. */
export const PROBLEM_EXAMPLES = {
  ValidationProblem: problem(
    400,
    'Bad Request',
    'REQUEST.VALIDATION',
    'The request is invalid: 2 problem(s), see errors',
    '/api/users',
    {
      errors: [
        { path: 'body/role', message: 'must be one of: admin, sales_rep, auditor' },
        { path: 'body/password', message: 'must NOT have fewer than 12 characters' },
      ],
    },
  ),
  UnauthorizedProblem: problem(
    401,
    'Unauthorized',
    'AUTH.TOKEN_REQUIRED',
    'Send a token: Authorization: Bearer <token>',
    '/api/orders',
  ),
  ForbiddenProblem: problem(403, 'Forbidden', 'AUTH.FORBIDDEN', 'The auditor role may not create Order', '/api/orders'),
  NotFoundProblem: problem(404, 'Not Found', 'ORDER.NOT_FOUND', 'No order ORD-00099', '/api/orders/ORD-00099'),
  ConflictProblem: problem(
    409,
    'Conflict',
    'ORDER.ILLEGAL_TRANSITION',
    'Cannot ship when the order is created',
    '/api/orders/ORD-00042/ship',
    { current_status: 'created' },
  ),
  PreconditionFailedProblem: problem(
    412,
    'Precondition Failed',
    'REQUEST.VERSION_MISMATCH',
    'If-Match expected version 1, the current version is 2',
    '/api/orders/ORD-00042/confirm',
    { current_version: 2 },
  ),
  PayloadTooLargeProblem: problem(
    413,
    'Payload Too Large',
    'REQUEST.BODY_TOO_LARGE',
    'The request body is larger than allowed',
    '/api/orders',
  ),
  UnsupportedMediaTypeProblem: problem(
    415,
    'Unsupported Media Type',
    'REQUEST.UNSUPPORTED_MEDIA_TYPE',
    'Request bodies must be application/json',
    '/api/orders',
  ),
  UpgradeRequiredProblem: problem(
    426,
    'Upgrade Required',
    'REQUEST.UPGRADE_REQUIRED',
    'This is a WebSocket endpoint: open it with an Upgrade request',
    '/api/events/ws',
  ),
  UnprocessableProblem: problem(
    422,
    'Unprocessable Entity',
    'ORDER.UNAVAILABLE_SKU',
    'Some items cannot be ordered',
    '/api/orders',
    {
      errors: [{ path: 'body/items/0/sku', message: 'WIDGET-9 is not an active SKU' }],
    },
  ),
  TooManyRequestsProblem: problem(429, 'Too Many Requests', 'RATE_LIMITED', 'Too many requests; retry in 12 s', '/api/orders', {
    retry_after: 12,
  }),
  ServiceUnavailableProblem: problem(
    503,
    'Service Unavailable',
    'SERVICE.UNAVAILABLE',
    'MongoDB is unavailable; the outcome is unknown: retry with the same Idempotency-Key (a stored result is returned, never a duplicate)',
    '/api/orders',
    { retry_after: 5, dependency: 'mongodb', outcome: 'unknown' },
  ),
}

const BY_STATUS: Record<number, keyof typeof PROBLEM_EXAMPLES> = {
  400: 'ValidationProblem',
  401: 'UnauthorizedProblem',
  403: 'ForbiddenProblem',
  404: 'NotFoundProblem',
  409: 'ConflictProblem',
  412: 'PreconditionFailedProblem',
  413: 'PayloadTooLargeProblem',
  415: 'UnsupportedMediaTypeProblem',
  422: 'UnprocessableProblem',
  426: 'UpgradeRequiredProblem',
  429: 'TooManyRequestsProblem',
  503: 'ServiceUnavailableProblem',
}

/** The name of the example problem for a status. */
export function problemExample(status: number): keyof typeof PROBLEM_EXAMPLES {
  const name = BY_STATUS[status]
  if (name === undefined) throw new Error(`no example problem for status ${status}: add one to PROBLEM_EXAMPLES`)
  return name
}

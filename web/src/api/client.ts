import type { Problem, Token } from './types'

/** An API answer that was not a success: the problem's `detail` is what people read. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
    message: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export type Query = Record<string, string | number | undefined>

export interface Answer<T> {
  body: T
  headers: Headers
}

/** The API as one signed-in user calls it: the token rides in a header, never in a URL. */
export interface Api {
  get<T>(path: string, query?: Query): Promise<Answer<T>>
  post<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<Answer<T>>
  /** A CSV export (`?format=csv`) saved as a file under the name the service gives. */
  download(path: string, query: Query): Promise<void>
}

/** `path?query`, leaving out the parameters without a value. */
export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, String(value))
  const text = params.toString()
  return text === '' ? path : `${path}?${text}`
}

async function send(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, { ...init, cache: 'no-store', credentials: 'omit' })
  } catch {
    throw new ApiError(0, undefined, 'The service cannot be reached. Check that it is running, then try again.')
  }
}

/** The problem of a failed answer (RFC 9457), or a readable stand-in when the body is not one. */
async function failure(response: Response): Promise<ApiError> {
  const type = response.headers.get('content-type') ?? ''
  if (type.includes('json')) {
    const problem = (await response.json().catch(() => undefined)) as Problem | undefined
    if (problem && typeof problem.detail === 'string') {
      const fields = problem.errors?.map((each) => `${each.path}: ${each.message}`) ?? []
      return new ApiError(response.status, problem, [problem.detail, ...fields].join(' — '))
    }
  }
  return new ApiError(response.status, undefined, `The service answered ${response.status} ${response.statusText}.`)
}

async function json<T>(response: Response): Promise<Answer<T>> {
  return { body: (await response.json()) as T, headers: response.headers }
}

/** Exchanges e-mail and password for a token (`POST /api/auth/token`). */
export async function requestToken(email: string, password: string): Promise<Token> {
  const response = await send('/api/auth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ email, password }),
  })
  if (!response.ok) throw await failure(response)
  return (await json<Token>(response)).body
}

/**
 * The API for `token`. A 401 means the token is no longer good (expired, revoked): `onUnauthorized`
 * signs the user out, and the call still fails with the problem's message.
 */
export function createApi(token: string, onUnauthorized: (message: string) => void): Api {
  const authorization = `Bearer ${token}`
  const call = async (
    path: string,
    init: Omit<RequestInit, 'headers'>,
    headers: Record<string, string> = {},
  ): Promise<Response> => {
    const response = await send(path, { ...init, headers: { authorization, accept: 'application/json', ...headers } })
    if (response.ok) return response
    const error = await failure(response)
    if (response.status === 401) onUnauthorized(error.message)
    throw error
  }
  return {
    async get<T>(path: string, query?: Query) {
      return json<T>(await call(withQuery(path, query), { method: 'GET' }))
    },
    async post<T>(path: string, body: unknown, headers: Record<string, string> = {}) {
      const response = await call(
        path,
        { method: 'POST', body: JSON.stringify(body) },
        { 'content-type': 'application/json', ...headers },
      )
      return json<T>(response)
    },
    async download(path: string, query: Query) {
      const response = await call(withQuery(path, { ...query, format: 'csv' }), { method: 'GET' }, { accept: 'text/csv' })
      const name = /filename="?([^";]+)"?/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'export.csv'
      const url = URL.createObjectURL(await response.blob())
      const link = document.createElement('a')
      link.href = url
      link.download = name
      link.hidden = true
      document.body.append(link)
      link.click()
      link.remove()
      setTimeout(() => {
        URL.revokeObjectURL(url)
      }, 10_000)
    },
  }
}

/** What an unknown failure says to people: the problem's detail, or the error's message. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : 'Something went wrong.'
}

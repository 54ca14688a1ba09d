import type { FastifyInstance } from 'fastify'

/** Every method and path the router serves (HEAD aside), path parameters spelled as in OpenAPI (`{id}`). */
export function servedRoutes(app: FastifyInstance): string[] {
  const stack: string[] = []
  const routes: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line)
    if (!match) continue
    stack.length = (match[1] ?? '').length / 4
    stack.push(match[2] ?? '')
    const path = stack.join('').replace(/:(\w+)/g, '{$1}')
    for (const method of (match[3] ?? '').split(', ').filter(Boolean)) if (method !== 'HEAD') routes.push(`${method} ${path}`)
  }
  return routes.sort()
}

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { can, operation } from '../operation.js'
import Type from 'typebox'
import { NoQuery, Problem } from '../schemas.js'

const Name = Type.Union([Type.Literal('orders'), Type.Literal('skus'), Type.Literal('summaries')])
const Progress = { position: Type.Integer(), lag: Type.Integer() }
const Status = Type.Object(
  {
    name: Type.String(),
    generation: Type.Integer(),
    state: Type.String(),
    ...Progress,
    active_here: Type.Boolean(),
    rebuild: Type.Optional(Type.Object({ generation: Type.Integer(), ...Progress })),
  },
  { title: 'ProjectionStatus' },
)

/** Projection status and zero-downtime rebuilds (admin). */
const adminProjectionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/admin/projections',
    operation('listProjections', can('read', 'Projection'), {
      tags: ['admin'],
      summary: 'Each projection: generation, position, lag, state',
      querystring: NoQuery,
      response: { 200: Type.Array(Status), 400: Problem },
    }),
    async () => app.projections.status(),
  )

  app.post(
    '/api/admin/projections/:name/rebuild',
    operation(
      'rebuildProjection',
      can('rebuild', 'Projection'),
      {
        tags: ['admin'],
        summary: 'Rebuild from position 0 into a new generation; queries keep the current one until it has caught up',
        params: Type.Object({ name: Name }, { additionalProperties: false }),
        body: Type.Object({}, { additionalProperties: false }),
        response: {
          202: Type.Object({
            name: Type.String(),
            generation: Type.Integer(),
            state: Type.Literal('rebuilding'),
            already_running: Type.Boolean(),
          }),
          404: Problem,
        },
      },
      { problems: { 404: 'No such projection (`PROJECTION.NOT_FOUND`)' } },
    ),
    async (request, reply) => {
      const { generation, already_running } = await app.projections.rebuild(request.params.name)
      return reply.code(202).send({ name: request.params.name, generation, state: 'rebuilding' as const, already_running })
    },
  )
}

export default adminProjectionRoutes

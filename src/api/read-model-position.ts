import type { FastifyInstance, FastifyReply } from 'fastify'
import Type from 'typebox'
import type { ProjectionName } from '../projections/projection.js'

/** `?min_position=N`: read-your-writes on demand. */
export const MinPosition = Type.Optional(
  Type.Integer({
    minimum: 0,
    description: 'wait (up to 2 s) until the read model has processed this position (from a command response)',
  }),
)

const WAIT_MS = 2000

/**
 * Waits (bounded) for the read models to reach `minPosition`, then says where they are in
 * `X-Read-Model-Position` (the least advanced, for an answer drawn from several): a client
 * whose position is higher knows the answer is behind.
 */
export async function waitForReadModel(
  app: FastifyInstance,
  reply: FastifyReply,
  names: ProjectionName | readonly ProjectionName[],
  minPosition: number | undefined,
): Promise<void> {
  const positions = await Promise.all(
    [names]
      .flat()
      .map(async (name) =>
        minPosition === undefined
          ? app.projections.position(name)
          : (await app.projections.waitFor(name, minPosition, WAIT_MS)).position,
      ),
  )
  void reply.header('x-read-model-position', String(Math.min(...positions)))
}

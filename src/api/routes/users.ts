import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { can, operation } from '../operation.js'
import Type from 'typebox'
import { AppError } from '../../shared/errors.js'
import { decodeCursor, encodeCursor } from '../../shared/cursor.js'
import { NotFoundError } from '../../shared/errors.js'
import { publicUser } from '../../users/user.js'
import { normalizeEmail } from '../../shared/email.js'
import { DEFAULT_PAGE_SIZE, Email, IsoDateTime, Name, NoQuery, Page, PageQuery, Password, Problem, Role } from '../schemas.js'

const User = Type.Object(
  {
    email: Type.String(),
    name: Type.String(),
    role: Role,
    created_at: IsoDateTime,
    disabled: Type.Boolean(),
  },
  { title: 'User' },
)
/** What the user routes' own problem answers mean. */
const PROBLEMS = {
  404: 'No such user (`USER.NOT_FOUND`)',
  409: 'The e-mail is taken (`USER.EMAIL_TAKEN`), or an admin would disable or demote itself (`USER.SELF_LOCKOUT`)',
}
const NewUser = Type.Object({ email: Email, name: Name, password: Password, role: Role }, { additionalProperties: false })
const UserChanges = Type.Object(
  {
    name: Type.Optional(Name),
    role: Type.Optional(Role),
    disabled: Type.Optional(Type.Boolean()),
    password: Type.Optional(Password),
  },
  { additionalProperties: false, minProperties: 1 },
)
const EmailParam = Type.Object({ email: Email }, { additionalProperties: false })

/** User administration (admin only): create, list, read, change (incl. disable). */
const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/users',
    operation(
      'createUser',
      can('create', 'User'),
      {
        tags: ['users'],
        summary: 'Create a user',
        body: NewUser,
        response: { 201: User, 409: Problem },
      },
      { sets: ['Location'], problems: PROBLEMS },
    ),
    async (request, reply) => {
      const location = `/api/users/${encodeURIComponent(normalizeEmail(request.body.email))}`
      const user = await app.users.create(request.body)
      return reply.code(201).header('location', location).send(publicUser(user))
    },
  )

  app.get(
    '/api/users',
    operation('listUsers', can('read', 'User'), {
      tags: ['users'],
      summary: 'List users, newest first',
      querystring: Type.Object(PageQuery, { additionalProperties: false }),
      response: { 200: Page(User, 'UserPage') },
    }),
    async (request) => {
      const limit = request.query.limit ?? DEFAULT_PAGE_SIZE
      const after =
        request.query.cursor === undefined ? undefined : decodeCursor(request.query.cursor, { t: 'time', e: 'string' })
      const users = await app.users.list(limit + 1, after && { created_at: new Date(after.t), email: after.e })
      const page = users.slice(0, limit)
      const last = page.at(-1)
      return {
        items: page.map(publicUser),
        next_cursor: users.length > limit && last ? encodeCursor({ t: last.created_at.getTime(), e: last.email }) : null,
      }
    },
  )

  app.get(
    '/api/users/:email',
    operation(
      'getUser',
      can('read', 'User'),
      {
        tags: ['users'],
        summary: 'One user',
        params: EmailParam,
        querystring: NoQuery,
        response: { 200: User, 400: Problem, 404: Problem },
      },
      { problems: PROBLEMS },
    ),
    async (request) => {
      const user = await app.users.find(request.params.email)
      if (!user) throw new NotFoundError('USER.NOT_FOUND', `No user ${request.params.email}`)
      return publicUser(user)
    },
  )

  app.patch(
    '/api/users/:email',
    operation(
      'updateUser',
      can('update', 'User'),
      {
        tags: ['users'],
        summary: 'Change a user: name, role, password, or disable/enable',
        params: EmailParam,
        body: UserChanges,
        response: { 200: User, 404: Problem, 409: Problem },
      },
      { problems: PROBLEMS },
    ),
    async (request) => {
      const self = normalizeEmail(request.params.email) === request.principal?.sub
      if (self && (request.body.disabled === true || (request.body.role !== undefined && request.body.role !== 'admin'))) {
        throw new AppError('conflict', 'USER.SELF_LOCKOUT', 'Admins cannot disable or demote their own account')
      }
      return publicUser(await app.users.update(request.params.email, request.body))
    },
  )
}

export default userRoutes

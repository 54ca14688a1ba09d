// redlock 5.0.0-beta.2 ships its types at dist/index.d.ts, which its package.json `exports`
// does not expose under `moduleResolution: nodenext`: the types are imported by path here
// (types only, erased at build) and the runtime module is given them. Nothing else imports
// 'redlock' directly.
import type RedlockClass from '../../node_modules/redlock/dist/index.js'
import type {
  ExecutionError as ExecutionErrorClass,
  ResourceLockedError as ResourceLockedErrorClass,
} from '../../node_modules/redlock/dist/index.js'
// @ts-expect-error -- typed by the imports above (see the first comment)
import RedlockModule, { ExecutionError as executionError, ResourceLockedError as resourceLockedError } from 'redlock'

export const Redlock = RedlockModule as typeof RedlockClass
export type Redlock = RedlockClass
export const ExecutionError = executionError as typeof ExecutionErrorClass
export const ResourceLockedError = resourceLockedError as typeof ResourceLockedErrorClass

import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

/** The layer rules of eslint.config.js alone, without type information (planted files are in no tsconfig). */
const eslint = new ESLint({
  cwd: process.cwd(),
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
})

async function violations(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath })
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parser'}: ${m.message}`)
}

describe('layer rules (lint)', () => {
  it.each([
    ['a decider importing MongoDB', 'src/commands/order/planted.ts', "import { MongoClient } from 'mongodb'"],
    ['a decider importing Redis', 'src/commands/sku/planted.ts', "import { Redis } from 'ioredis'"],
    ['a decider reading files', 'src/commands/order/planted.ts', "import { readFileSync } from 'node:fs'"],
    ['a decider importing the read side', 'src/commands/order/planted.ts', "import { x } from '../../queries/order-queries.js'"],
    ['a command service importing Socket.IO', 'src/commands/planted.ts', "import { Server } from 'socket.io'"],
    ['a query importing Fastify', 'src/queries/planted.ts', "import Fastify from 'fastify'"],
    ['a query importing a command', 'src/queries/planted.ts', "import { x } from '../commands/order-commands.js'"],
    ['the event store importing the API', 'src/events/planted.ts', "import { buildApp } from '../api/app.js'"],
    ['the event store importing a projection', 'src/events/planted.ts', "import { x } from '../projections/registry.js'"],
    ['a projection importing the API', 'src/projections/planted.ts', "import { x } from '../api/problem.js'"],
    ['the consumer runtime importing Fastify', 'src/consumers/planted.ts', "import fp from 'fastify-plugin'"],
    ['infra importing events', 'src/infra/planted.ts', "import { x } from '../events/catalog.js'"],
    ['realtime importing the API', 'src/realtime/planted.ts', "import { x } from '../api/schemas.js'"],
  ])('fails on %s', async (_what, file, line) => {
    expect(await violations(file, `${line}\nexport const planted = 1\n`)).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*(this layer may not|only src\/api uses the HTTP framework)/) as string,
    ])
  })

  it('passes on what each layer may use', async () => {
    expect(
      await violations('src/commands/order/planted.ts', "import { x } from '../../events/catalog.js'\nexport const y = x\n"),
    ).toEqual([])
    expect(
      await violations(
        'src/api/planted.ts',
        "import Fastify from 'fastify'\nimport { x } from '../commands/order-commands.js'\n",
      ),
    ).toEqual([])
  })

  it('passes on the whole tree', async () => {
    const results = await eslint.lintFiles(['src'])
    expect(results.flatMap((r) => r.messages.map((m) => `${r.filePath}: ${m.message}`))).toEqual([])
  })
})

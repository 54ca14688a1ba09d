import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { bannerOf, call, login, printedAdmin, startEmbedded, tempDataDir } from '../support/embedded.js'
import { within } from '../support/wait.js'

// The README's quick start, as a new user follows it on the embedded default: `npm start`
// (here: the same entry, src/main.ts, on a fresh DATA_DIR and a free port), then the
// `TOKEN=$(curl …)` line the banner printed, then the README's commands — read from the
// README itself, so that the test and the text cannot drift apart. The one change made to
// them: the address, http://127.0.0.1:3000 in the text, becomes the test's free port.

const README_URL = 'http://127.0.0.1:3000'

/** The fenced blocks of a language in the README's "## Quick start" section, in order. */
async function quickStartBlocks(language: string): Promise<string[]> {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8')
  const start = readme.indexOf('\n## Quick start\n')
  const end = readme.indexOf('\n## ', start + 1)
  const section = readme.slice(start, end)
  return [...section.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1] ?? '')
}

function bash(script: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('error', reject)
    child.once('close', (code) => {
      resolve({ code, output })
    })
  })
}

describe('README quick start', () => {
  it('its commands work verbatim on a fresh DATA_DIR: log in with the printed credentials, place an order, cancel it', async () => {
    const [commands, ...more] = (await quickStartBlocks('bash')).slice(1)
    expect(more).toEqual([])
    expect(commands).toContain('/cancel')

    const service = startEmbedded(await tempDataDir())
    const url = await service.url
    const banner = await bannerOf(service)
    const tokenLine = /^ {2}(TOKEN=\$\(curl .*)$/m.exec(banner)?.[1]
    expect(tokenLine).toBeDefined()
    // The README shows that banner: the same lines, but for the address, the path and the password.
    const [sample] = await quickStartBlocks('text')
    expect(sample?.trimEnd().split('\n').map(shape)).toEqual(
      banner
        .slice(banner.indexOf('Sales Order Service'))
        .split('\n')
        .slice(0, sample?.trim().split('\n').length)
        .map((line) => shape(line.replaceAll(url, README_URL))),
    )

    const run = await within(
      bash(`${tokenLine ?? ''}\n${(commands ?? '').replaceAll(README_URL, url)}`),
      'the quick-start commands',
      30_000,
    )
    expect(run.code, run.output).toBe(0)
    expect(run.output).not.toContain('urn:problem')
    // Each command printed its JSON answer; the last one, the history, is the only array.
    const history = JSON.parse(run.output.slice(run.output.indexOf('}[{') + 1)) as {
      type: string
      data: Record<string, unknown>
    }[]
    expect(history.map((e) => e.type)).toEqual(['order.created', 'order.cancelled'])
    expect(history[1]?.data).toEqual({ order_id: 'ORD-00001', reason: 'customer changed their mind' })

    const token = await login(url, printedAdmin(banner))
    const order = await call(url, 'GET', '/api/orders/ORD-00001', { token })
    expect(order.body).toMatchObject({ status: 'cancelled', sales_rep: 'asha.rao@corp.example', total_amount: 204_435 })
  })
})

/** A banner line with what differs between runs (version, path, password) blanked out. */
function shape(line: string): string {
  return line
    .replace(/Service \S+ is listening/, 'Service <version> is listening')
    .replace(/data kept in \S+/, 'data kept in <dir>')
    .replace(/password( {3}|":")[\w-]+/g, 'password$1<password>')
}

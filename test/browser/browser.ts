import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type Browser, type BrowserContext, type Locator, type Page, chromium } from 'playwright-core'
import { isCI } from '../support/ci.js'

/** Debian's Chromium (`.ci/run` installs it when missing). */
export const CHROMIUM = '/usr/bin/chromium'

/** The browser suites skip only outside CI, when there is no Chromium; under CI=true a missing one fails. */
export const skipWithoutChromium = !isCI && !existsSync(CHROMIUM)

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const VITE = fileURLToPath(new URL('../../node_modules/vite/bin/vite.js', import.meta.url))

/** Builds the dashboard into dist/web (what `npm run build` does), so the service under test serves this source. */
export async function buildDashboard(): Promise<void> {
  await promisify(execFile)(process.execPath, [VITE, 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
    cwd: ROOT,
    timeout: 60_000,
  })
}

/** Headless Chromium, quiet: no network of its own (updates, sync, first-run fetches). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

/** A port that was free a moment ago on 127.0.0.1 (a service restarted on it keeps its address). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve()
    }),
  )
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** What went wrong in a page: console errors, uncaught exceptions, CSP violations. */
export interface PageTrouble {
  console: string[]
  exceptions: string[]
  csp: string[]
}

/**
 * A page in its own context (no shared storage) that records every console error, uncaught
 * exception and CSP violation (the `securitypolicyviolation` event, reported through a binding).
 */
export async function watchedPage(
  browser: Browser,
  options: { viewport?: { width: number; height: number }; timezoneId?: string } = {},
): Promise<{ context: BrowserContext; page: Page; trouble: PageTrouble }> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 800 },
    ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
    locale: 'en-GB',
    acceptDownloads: true,
  })
  const trouble: PageTrouble = { console: [], exceptions: [], csp: [] }
  await context.exposeBinding('reportCspViolation', (_source, text: string) => {
    trouble.csp.push(text)
  })
  // Page code is given as text: these files are type-checked without the DOM's types.
  await context.addInitScript(`document.addEventListener('securitypolicyviolation', (event) =>
    reportCspViolation(event.violatedDirective + ' blocked ' + event.blockedURI + ' (' + event.sourceFile + ':' + event.lineNumber + ')'))`)
  const page = await context.newPage()
  page.on('console', (message) => {
    if (message.type() === 'error') trouble.console.push(message.text())
  })
  page.on('pageerror', (error) => {
    trouble.exceptions.push(error.message)
  })
  return { context, page, trouble }
}

/**
 * The console errors that `expected` does not explain. Chromium itself logs a failed request
 * ("Failed to load resource: … 401") and a refused connection as console errors: a test that
 * causes one on purpose names it; anything else (a script error, a CSP refusal) is unexplained.
 */
export function unexplained(trouble: PageTrouble, expected: readonly RegExp[] = []): PageTrouble {
  return {
    console: trouble.console.filter((text) => !expected.some((pattern) => pattern.test(text))),
    exceptions: trouble.exceptions,
    csp: trouble.csp,
  }
}

export const NO_TROUBLE: PageTrouble = { console: [], exceptions: [], csp: [] }

/** What the tests read of an element inside the page (these files are type-checked without the DOM's types). */
interface Attributed {
  getAttribute(name: string): string | null
}

/** The attribute `name` of every element `locator` finds, in document order (null where absent). */
export function attributes(locator: Locator, name: string): Promise<(string | null)[]> {
  return locator.evaluateAll(
    (elements: Attributed[], attribute: string) => elements.map((element) => element.getAttribute(attribute)),
    name,
  )
}

/** The attribute `name` of every element `locator` finds, as numbers. */
export async function numbers(locator: Locator, name: string): Promise<number[]> {
  return (await attributes(locator, name)).map(Number)
}

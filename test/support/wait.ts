// The one way tests wait: a bounded poll for a condition, a bounded wait for a promise, and
// a plain pause for the few places that must let time pass (pacing, or asserting that
// nothing more arrives).

/** Resolves after `ms` milliseconds. Prefer `eventually` when waiting for something to happen. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Polls `check` every `intervalMs` until it returns true; fails after `timeoutMs` with an
 * error naming `what` (a function is asked at the deadline, so it can report the state then).
 */
export async function eventually(
  what: string | (() => string),
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  intervalMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`)
    }
    await sleep(intervalMs)
  }
}

/** `promise`'s outcome, or an error naming `what` if it has not settled after `timeoutMs`. */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))
    }, timeoutMs)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

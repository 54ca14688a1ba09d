/** The longest delay `setTimeout` takes (2^31 - 1 ms, 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * `setTimeout` for any delay: delays beyond `MAX_TIMER_MS` are chained timers, so a token
 * that lives 30 days expires after 30 days, not at once. Returns the function that cancels it.
 */
export function setLongTimeout(callback: () => void, delayMs: number): () => void {
  let timer: NodeJS.Timeout
  const due = Date.now() + delayMs
  const arm = (remaining: number) => {
    timer = setTimeout(
      () => {
        const left = due - Date.now()
        if (left > 0) arm(left)
        else callback()
      },
      Math.min(Math.max(0, remaining), MAX_TIMER_MS),
    )
    timer.unref()
  }
  arm(delayMs)
  return () => {
    clearTimeout(timer)
  }
}

/**
 * Waits for `promise` to settle, at most `ms` (`Infinity`: no bound): true if it did (fulfilled
 * or rejected), false if the time ran out first. What it waited on is left running, its failure
 * handled: for shutdowns that must not hang on a store that stopped answering.
 */
export async function finishesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const settled = promise.then(
    () => true,
    () => true,
  )
  if (ms === Infinity) return settled
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      resolve(false)
    }, ms)
  })
  try {
    return await Promise.race([settled, expired])
  } finally {
    clearTimeout(timer)
  }
}

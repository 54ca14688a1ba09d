import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_TIMER_MS, setLongTimeout } from '../../src/shared/long-timeout.js'

const DAY_MS = 86_400_000

describe('setLongTimeout (token expiry timers)', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('fires a 30-day timer after 30 days, not at once (setTimeout alone overflows past 24.8 days)', () => {
    vi.useFakeTimers()
    const fired = vi.fn()
    setLongTimeout(fired, 30 * DAY_MS)
    vi.advanceTimersByTime(MAX_TIMER_MS)
    expect(fired).not.toHaveBeenCalled()
    vi.advanceTimersByTime(30 * DAY_MS - MAX_TIMER_MS - 1)
    expect(fired).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(fired).toHaveBeenCalledTimes(1)
  })

  it('fires short and past-due timers like setTimeout', () => {
    vi.useFakeTimers()
    const soon = vi.fn()
    const late = vi.fn()
    setLongTimeout(soon, 2000)
    setLongTimeout(late, -5)
    vi.advanceTimersByTime(0)
    expect(late).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(1999)
    expect(soon).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(soon).toHaveBeenCalledTimes(1)
  })

  it('can be cancelled in any of its chained steps', () => {
    vi.useFakeTimers()
    const fired = vi.fn()
    const cancel = setLongTimeout(fired, 60 * DAY_MS)
    vi.advanceTimersByTime(MAX_TIMER_MS + DAY_MS) // now in the second step
    cancel()
    vi.advanceTimersByTime(60 * DAY_MS)
    expect(fired).not.toHaveBeenCalled()
  })
})

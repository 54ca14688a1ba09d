/**
 * True when running under CI (`CI=true` or `CI=1`): the integration servers are then
 * required, and no suite may skip for want of them.
 */
export const isCI = process.env.CI === 'true' || process.env.CI === '1'

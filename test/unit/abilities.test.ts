import { describe, expect, it } from 'vitest'
import { accessFilter, defineAbilityFor, inState } from '../../src/auth/abilities.js'

const rep = defineAbilityFor({ sub: 'rep@test.local', role: 'sales_rep' })
const admin = defineAbilityFor({ sub: 'admin@test.local', role: 'admin' })
const auditor = defineAbilityFor({ sub: 'audit@test.local', role: 'auditor' })

describe('abilities (DESIGN §6 table)', () => {
  it('turns conditions into the MongoDB filter of list queries', () => {
    expect(accessFilter(admin, 'read', 'Order')).toEqual({})
    expect(accessFilter(auditor, 'read', 'Order')).toEqual({})
    expect(accessFilter(rep, 'read', 'Order')).toEqual({ sales_rep: 'rep@test.local' })
    expect(accessFilter(rep, 'read', 'Report')).toBeNull()
    expect(accessFilter(auditor, 'cancel', 'Order')).toBeNull()
  })

  it('a sales rep may cancel only its own orders that are still created', () => {
    expect(rep.can('cancel', inState('Order', { sales_rep: 'rep@test.local', status: 'created' }))).toBe(true)
    expect(rep.can('cancel', inState('Order', { sales_rep: 'rep@test.local', status: 'confirmed' }))).toBe(false)
    expect(rep.can('cancel', inState('Order', { sales_rep: 'other@test.local', status: 'created' }))).toBe(false)
    expect(rep.can('confirm', 'Order')).toBe(false)
  })

  it('auditors read everything and write nothing', () => {
    for (const subject of ['Order', 'OrderHistory', 'Report', 'Sku'] as const) expect(auditor.can('read', subject)).toBe(true)
    for (const action of ['create', 'update', 'confirm', 'ship', 'deliver', 'cancel', 'rebuild'] as const) {
      expect(auditor.can(action, 'Order')).toBe(false)
    }
    expect(auditor.can('read', 'User')).toBe(false)
  })
})

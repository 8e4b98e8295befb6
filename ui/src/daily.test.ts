import { describe, expect, it } from 'vitest'
import { cashiersOf, isCorrection, overShort, scopeKinds, scopeOf, shiftDay } from './daily'

describe('the 实收日报 scopes', () => {
  it('a cashier is offered their day, and their shift when one is open; others the terminal-day first', () => {
    expect(scopeKinds('cashier', false)).toEqual(['cashier'])
    expect(scopeKinds('cashier', true)).toEqual(['cashier', 'shift'])
    expect(scopeKinds('supervisor', true)).toEqual(['terminal_day', 'cashier', 'shift'])
    expect(scopeKinds('finance', false)).toEqual(['terminal_day', 'cashier', 'shift'])
  })

  it('a cashier asks for their own name and open shift, whatever was typed', () => {
    const form = { kind: 'cashier' as const, cashier: 'cashier2', shift: '99' }
    expect(scopeOf(form, 'cashier', 'cashier1', 7)).toEqual({ scope: { kind: 'cashier', username: 'cashier1' } })
    expect(scopeOf({ ...form, kind: 'shift' }, 'cashier', 'cashier1', 7)).toEqual({ scope: { kind: 'shift', shift_id: 7 } })
    expect(scopeOf({ ...form, kind: 'shift' }, 'cashier', 'cashier1', null)).toEqual({ problem: 'shift' })
  })

  it('a supervisor names the cashier or the shift (全角 digits too)', () => {
    const form = { kind: 'cashier' as const, cashier: ' cashier2 ', shift: '' }
    expect(scopeOf(form, 'supervisor', 'super1', null)).toEqual({ scope: { kind: 'cashier', username: 'cashier2' } })
    expect(scopeOf({ ...form, cashier: '  ' }, 'supervisor', 'super1', null)).toEqual({ problem: 'cashier' })
    expect(scopeOf({ ...form, kind: 'shift', shift: '１２' }, 'finance', 'finance1', null)).toEqual({ scope: { kind: 'shift', shift_id: 12 } })
    for (const bad of ['', '0', '-3', '2.5', 'abc']) expect(scopeOf({ ...form, kind: 'shift', shift: bad }, 'supervisor', 'super1', null)).toEqual({ problem: 'shift' })
    expect(scopeOf({ ...form, kind: 'terminal_day' }, 'supervisor', 'super1', null)).toEqual({ scope: { kind: 'terminal_day' } })
  })
})

describe('days', () => {
  it('step over month and year ends, and leave a non-date alone', () => {
    expect(shiftDay('2026-03-01', -1)).toBe('2026-02-28')
    expect(shiftDay('2024-02-28', 1)).toBe('2024-02-29')
    expect(shiftDay('2026-12-31', 1)).toBe('2027-01-01')
    expect(shiftDay('2026-02-30', 1)).toBe('2026-02-30')
  })
})

describe('reading a report', () => {
  it('names each cashier once, sorted', () => {
    const who = (cashier: string) => ({ cashier })
    expect(
      cashiersOf({
        receipts: [who('cashier2'), who('cashier1')],
        voids: [who('cashier1')],
        deposits: [who('cashier3')],
        closes: [who('cashier2')],
      }),
    ).toEqual(['cashier1', 'cashier2', 'cashier3'])
  })
  it('a void of an earlier day\'s receipt is a correction', () => {
    expect(isCorrection({ issued_on: '2026-03-02' }, '2026-03-03')).toBe(true)
    expect(isCorrection({ issued_on: '2026-03-03' }, '2026-03-03')).toBe(false)
  })
  it('reads over and short from the sign', () => {
    expect([overShort('-100.00'), overShort('0.50'), overShort('0.00')]).toEqual(['short', 'over', 'even'])
  })
})

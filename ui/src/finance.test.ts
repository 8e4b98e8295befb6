import { describe, expect, it } from 'vitest'
import { PAGE_SIZE, buildQuery, defaultFilters, isDate, pageRange, payoutProblem } from './finance'

describe('the finance list filters', () => {
  it('start on what waits for finance', () => {
    expect(buildQuery(defaultFilters())).toEqual({ query: { state: 'at_ledger', limit: PAGE_SIZE, offset: 0 } })
  })
  it('send only what was given, trimmed, codes in capitals, amounts as the core reads them', () => {
    const f = {
      ...defaultFilters(),
      state: '' as const,
      terminal: ' demo-01 ',
      area: 'gy01',
      from: '2026-03-01',
      to: ' 2026-03-31 ',
      minAmount: '１００',
      maxAmount: '5000.5',
      reason: 'duplicate' as const,
      overdue: true,
    }
    expect(buildQuery(f, 100)).toEqual({
      query: {
        terminal: 'DEMO-01',
        area: 'GY01',
        from: '2026-03-01',
        to: '2026-03-31',
        min_amount: '100',
        max_amount: '5000.5',
        reason: 'duplicate',
        overdue: true,
        limit: PAGE_SIZE,
        offset: 100,
      },
    })
  })
  it.each([
    [{ from: '2026-3-1' }, { field: 'from', kind: 'date' }],
    [{ to: '2026-02-30' }, { field: 'to', kind: 'date' }],
    [{ minAmount: '1,000' }, { field: 'minAmount', kind: 'amount' }],
    [{ maxAmount: '12.345' }, { field: 'maxAmount', kind: 'amount' }],
  ])('%j is refused before asking the ledger', (over, problem) => {
    expect(buildQuery({ ...defaultFilters(), ...over })).toEqual({ problem })
  })
  it('reads dates as calendar dates', () => {
    expect(isDate('2028-02-29')).toBe(true)
    expect(isDate('2026-02-29')).toBe(false)
    expect(isDate('2026-13-01')).toBe(false)
    expect(isDate('20260301')).toBe(false)
  })
  it('numbers the rows of a page', () => {
    expect(pageRange(0, 50)).toEqual({ from: 1, to: 50 })
    expect(pageRange(50, 3)).toEqual({ from: 51, to: 53 })
    expect(pageRange(0, 0)).toEqual({ from: 0, to: 0 })
  })
})

describe('the payout', () => {
  const ok = { date: '2026-03-05', bankRef: 'ICBC20260305001', amount: '800.00' }
  it('is the approved amount, to the fen, however it is written', () => {
    expect(payoutProblem(ok, '800.00')).toBeNull()
    expect(payoutProblem({ ...ok, amount: '800' }, '800.00')).toBeNull()
    expect(payoutProblem({ ...ok, amount: '８００.００' }, '800.00')).toBeNull()
    expect(payoutProblem({ ...ok, amount: '799.99' }, '800.00')).toEqual({ field: 'amount', key: 'payMismatch' })
    expect(payoutProblem({ ...ok, amount: '800.001' }, '800.00')).toEqual({ field: 'amount', key: 'money', code: 'MONEY_DECIMALS' })
  })
  it('needs a date and the bank reference', () => {
    expect(payoutProblem({ ...ok, date: '2026/03/05' }, '800.00')).toEqual({ field: 'date', key: 'invalidDate' })
    expect(payoutProblem({ ...ok, bankRef: '  ' }, '800.00')).toEqual({ field: 'bankRef', key: 'refMissing' })
  })
})

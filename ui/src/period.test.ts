import { describe, expect, it } from 'vitest'
import { formatPeriod } from './period'

describe('formatPeriod', () => {
  it.each([
    ['202511', '2025-11'],
    ['202601', '2026-01'],
    ['199912', '1999-12'],
  ])('%s → %s', (period, shown) => expect(formatPeriod(period)).toBe(shown))

  it.each(['2025-11', '20251', '2025110', ''])('leaves %j as it is', (period) => expect(formatPeriod(period)).toBe(period))
})

import { formatChinaInstant, formatInstant } from './instant'

describe('formatInstant', () => {
  it('shows date and minutes of an RFC 3339 instant', () => expect(formatInstant('2026-03-01T10:00:00+08:00')).toBe('2026-03-01 10:00'))
  it('keeps anything else as received', () => expect(formatInstant('soon')).toBe('soon'))
})

describe('formatChinaInstant', () => {
  it.each([
    ['2026-12-06T21:58:00Z', '2026-12-07 05:58'],
    ['2026-12-07T05:58:03.495837+08:00', '2026-12-07 05:58'],
    ['2026-03-01T02:00:00+00:00', '2026-03-01 10:00'],
    ['2026-03-01 10:00:00', '2026-03-01 10:00'],
    ['not a time', 'not a time'],
  ])('%s → %s', (at, shown) => expect(formatChinaInstant(at)).toBe(shown))
})

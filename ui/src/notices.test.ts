import { describe, expect, it } from 'vitest'
import { buildFilter, defaultNoticeForm, notPrinted, progressPercent, typedDays, typedPerPdf, type NoticeForm } from './notices'

const form = (over: Partial<NoticeForm>): NoticeForm => ({ ...defaultNoticeForm(), skipDays: '', ...over })

describe('the 催费 filters', () => {
  it('start with everyone not notified in the last 30 days', () => {
    expect(buildFilter(defaultNoticeForm())).toEqual({
      filter: {
        address_prefix: null,
        category: null,
        billing_mode: null,
        min_owed: null,
        min_days_overdue: null,
        skip_notified_days: 30,
      },
    })
  })

  it('send only what was typed, trimmed; the amount as a string, 全角 made plain', () => {
    expect(
      buildFilter(
        form({ address: ' 示范市城关区 ', category: 'residential', billingMode: 'postpaid', minOwed: '１００．５', minDays: '３０', skipDays: '7' }),
      ),
    ).toEqual({
      filter: {
        address_prefix: '示范市城关区',
        category: 'residential',
        billing_mode: 'postpaid',
        min_owed: '100.5',
        min_days_overdue: 30,
        skip_notified_days: 7,
      },
    })
  })

  it.each([
    [{ minOwed: '12.345' }, { field: 'minOwed', kind: 'money', code: 'MONEY_DECIMALS' }],
    [{ minOwed: '¥100' }, { field: 'minOwed', kind: 'money', code: 'MONEY_FORMAT' }],
    [{ minOwed: '-5' }, { field: 'minOwed', kind: 'money', code: 'MONEY_NEGATIVE' }],
    [{ minDays: '3.5' }, { field: 'minDays', kind: 'days' }],
    [{ minDays: '3651' }, { field: 'minDays', kind: 'days' }],
    [{ skipDays: '-1' }, { field: 'skipDays', kind: 'days' }],
  ] as const)('%o is refused before the core is asked: %o', (over, problem) => {
    expect(buildFilter(form(over))).toEqual({ problem })
  })

  it('reads days as whole numbers 0–3650', () => {
    expect([typedDays('0'), typedDays('3650'), typedDays(' 7 '), typedDays('１２')]).toEqual([0, 3650, 7, 12])
    expect([typedDays(''), typedDays('3651'), typedDays('1e3'), typedDays('12345')]).toEqual([null, null, null, null])
  })
})

describe('notices per print job', () => {
  it('are 1–500', () => {
    expect([typedPerPdf('1'), typedPerPdf('500'), typedPerPdf('５０')]).toEqual([1, 500, 50])
    expect([typedPerPdf('0'), typedPerPdf('501'), typedPerPdf(''), typedPerPdf('2.5')]).toEqual([null, null, null, null])
  })
})

describe('a run\'s progress', () => {
  it('is printed over selected, whole percents, never past 100', () => {
    expect(progressPercent({ printed: 0, selected: 25, state: 'running' })).toBe(0)
    expect(progressPercent({ printed: 10, selected: 25, state: 'running' })).toBe(40)
    expect(progressPercent({ printed: 25, selected: 25, state: 'done' })).toBe(100)
    expect(progressPercent({ printed: 3, selected: 2, state: 'done' })).toBe(100)
  })
  it('a run that selected nobody is complete once it ended', () => {
    expect(progressPercent({ printed: 0, selected: 0, state: 'running' })).toBe(0)
    expect(progressPercent({ printed: 0, selected: 0, state: 'done' })).toBe(100)
  })
  it('counts what a stopped run did not print', () => {
    expect(notPrinted({ printed: 10, selected: 25 })).toBe(15)
    expect(notPrinted({ printed: 26, selected: 25 })).toBe(0)
  })
})

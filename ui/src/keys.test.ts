import { describe, expect, it } from 'vitest'
import { counterKeys, keyLabel, keyTestId, matchKey, type CounterState } from './keys'

const none: CounterState = { collector: false, inShift: false, postpaid: false, prepaid: false, accountShown: false }
const names = (s: Partial<CounterState>) => counterKeys({ ...none, ...s }).map(keyLabel)

describe('the counter keys', () => {
  it('F3 退费 needs an account on the counter and a cashier or supervisor, but no shift', () => {
    expect(names({ collector: true, accountShown: true })).toEqual(['F3', 'Shift+F3', 'F11'])
    expect(names({ collector: true })).toEqual(['Shift+F3', 'F11'])
    // A finance reviewer or an administrator: no refunds at all (the core refuses them too).
    expect(names({ accountShown: true })).toEqual(['F11'])
  })
  it('in a shift on a postpaid account every key is offered, refunds first', () => {
    expect(names({ collector: true, inShift: true, postpaid: true, accountShown: true })).toEqual([
      'F3',
      'Shift+F3',
      'F5',
      'F6',
      'F8',
      'F9',
      'F10',
      'F12',
      'F11',
    ])
    expect(names({ collector: true, inShift: true, prepaid: true, accountShown: true })).toContain('F7')
  })
  it('Shift+F3 opens the 退费审核 list, F3 the request; Shift does not change the other keys', () => {
    const keys = counterKeys({ ...none, collector: true, inShift: true, postpaid: true, accountShown: true })
    expect(matchKey(keys, { key: 'F3', shiftKey: false })?.modal).toBe('refund')
    expect(matchKey(keys, { key: 'F3', shiftKey: true })?.modal).toBe('refunds')
    expect(matchKey(keys, { key: 'F5', shiftKey: true })?.modal).toBe('cash')
    expect(matchKey(keys, { key: 'F1', shiftKey: false })).toBeUndefined()
  })
  it('without an account Shift+F3 still lists the requests and F3 does nothing', () => {
    const keys = counterKeys({ ...none, collector: true })
    expect(matchKey(keys, { key: 'F3', shiftKey: false })).toBeUndefined()
    expect(matchKey(keys, { key: 'F3', shiftKey: true })?.modal).toBe('refunds')
  })
  it('F4 催缴通知单 needs an account in arrears and a cashier or supervisor, but no shift', () => {
    expect(names({ collector: true, accountShown: true, arrears: true })).toEqual(['F3', 'Shift+F3', 'F4', 'F11'])
    expect(names({ collector: true, accountShown: true, arrears: false })).toEqual(['F3', 'Shift+F3', 'F11'])
    // A finance reviewer or an administrator prints no notice (the core refuses them too).
    expect(names({ accountShown: true, arrears: true })).toEqual(['F11'])
    // The result panel hides the account (accountShown false): no F4 under it.
    expect(names({ collector: true, inShift: true, arrears: true })).not.toContain('F4')
  })
  it('Shift+F4 催费 for a supervisor; Shift+F10 解款记录 and Shift+F12 实收日报 for whoever sees the reports, shift or not', () => {
    expect(names({ collector: true, supervisor: true })).toEqual(['Shift+F3', 'Shift+F4', 'F11'])
    expect(names({ reports: true })).toEqual(['Shift+F10', 'Shift+F12', 'F11'])
    const keys = counterKeys({ ...none, collector: true, accountShown: true, arrears: true, supervisor: true, reports: true, inShift: true })
    expect(matchKey(keys, { key: 'F4', shiftKey: true })?.modal).toBe('arrears')
    expect(matchKey(keys, { key: 'F4', shiftKey: false })?.modal).toBe('notice')
    expect(matchKey(keys, { key: 'F10', shiftKey: true })?.modal).toBe('deposits')
    expect(matchKey(keys, { key: 'F10', shiftKey: false })?.modal).toBe('deposit')
    expect(matchKey(keys, { key: 'F12', shiftKey: true })?.modal).toBe('daily')
    expect(matchKey(keys, { key: 'F12', shiftKey: false })?.modal).toBe('close')
  })
  it('names the keys for the footer and the tests', () => {
    const [f3, sf3] = counterKeys({ ...none, collector: true, accountShown: true })
    expect([keyLabel(f3!), keyTestId(f3!)]).toEqual(['F3', 'key-F3'])
    expect([keyLabel(sf3!), keyTestId(sf3!)]).toEqual(['Shift+F3', 'key-S-F3'])
  })
})

import { describe, expect, it } from 'vitest'
import type { RefundContext } from '@/bindings/RefundContext'
import type { RefundInfo } from '@/bindings/RefundInfo'
import {
  accountDigits,
  accountProblem,
  capFor,
  fieldOrder,
  formProblem,
  groupAccount,
  holds,
  isFinal,
  openDuplicates,
  openRefunds,
  otherPayee,
  STATES,
  submitInput,
  type RefundForm,
} from './refunds'

const NAME = '杨军'

const CTX: RefundContext = {
  account_no: '3100000045',
  name: NAME,
  closed: false,
  balance: '1395.99',
  held: '800.00',
  refundable: '595.99',
  duplicates: [
    { receipt_no: 'DEMO-01-2026-000002', created_at: '2026-03-01 10:00:00', amount: '300.00', refundable: '300.00' },
    { receipt_no: 'DEMO-01-2026-000001', created_at: '2026-02-28 09:00:00', amount: '300.00', refundable: '0.00' },
  ],
  requests: [],
}

function form(over: Partial<RefundForm> = {}): RefundForm {
  return {
    reason: 'overpaid',
    reasonText: '',
    duplicateOf: '',
    amount: '500.00',
    payeeName: NAME,
    payeeReason: '',
    bank: '中国工商银行',
    branch: '示范市东城支行',
    account: '6222 0212 3456 7890 123',
    docs: { id_card: true, original_receipt: false, closure_form: false },
    ...over,
  }
}

describe('the payee account number', () => {
  it('is read as the core reads it: full-width digits, spaces and hyphens forgiven', () => {
    expect(accountDigits('６２２２－０２１２ 3456\u30007890-123')).toBe('6222021234567890123')
    expect(accountDigits(' 6222 0212 ')).toBe('62220212')
  })
  it('is shown in groups of four as typed, for reading back', () => {
    expect(groupAccount('6222021234567890123')).toBe('6222 0212 3456 7890 123')
    expect(groupAccount('6222-0212-3456-7890')).toBe('6222 0212 3456 7890')
    expect(groupAccount('622')).toBe('622')
    expect(groupAccount('')).toBe('')
  })
  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['6222a0212', 'not_digits'],
    ['1234567', 'length'],
    ['12345678', null],
    ['1'.repeat(30), null],
    ['1'.repeat(31), 'length'],
  ])('%j → %s', (typed, problem) => {
    expect(accountProblem(typed)).toBe(problem)
  })
})

describe('the cap of a request', () => {
  it('is the account\'s refundable amount for every reason but a duplicate', () => {
    for (const r of ['overpaid', 'closure', 'billing_error', 'other'] as const) expect(capFor(CTX, r, '')).toBe('595.99')
  })
  it('for a duplicate is what is left of the payment it names, and unknown until one is chosen', () => {
    expect(capFor(CTX, 'duplicate', '')).toBeNull()
    expect(capFor(CTX, 'duplicate', 'DEMO-01-2026-000002')).toBe('300.00')
    expect(capFor(CTX, 'duplicate', 'DEMO-01-2026-000001')).toBe('0.00')
  })
  it('offers only the payments with something left to refund', () => {
    expect(openDuplicates(CTX).map((d) => d.receipt_no)).toEqual(['DEMO-01-2026-000002'])
  })
})

describe('the payee', () => {
  it('is the 户名 unless another name is typed', () => {
    expect(otherPayee(NAME, NAME)).toBe(false)
    expect(otherPayee(` ${NAME} `, NAME)).toBe(false)
    expect(otherPayee('', NAME)).toBe(false)
    expect(otherPayee('杨小军', NAME)).toBe(true)
  })
  it('another payee adds 代领原因 to the fields, after the payee', () => {
    expect(fieldOrder(form(), NAME)).not.toContain('payeeReason')
    const order = fieldOrder(form({ payeeName: '杨小军' }), NAME)
    expect(order.indexOf('payeeReason')).toBe(order.indexOf('payeeName') + 1)
  })
  it('其他 adds the reason in words, 重复缴费 the receipt, right after the reason', () => {
    expect(fieldOrder(form({ reason: 'other' }), NAME).slice(0, 2)).toEqual(['reason', 'reasonText'])
    expect(fieldOrder(form({ reason: 'duplicate' }), NAME).slice(0, 2)).toEqual(['reason', 'duplicateOf'])
    expect(fieldOrder(form(), NAME).at(-1)).toBe('closureForm')
  })
})

describe('formProblem: the first thing missing, in Enter order', () => {
  const cap = '595.99'
  it('accepts a complete request', () => {
    expect(formProblem(form(), NAME, cap)).toBeNull()
  })
  it.each<[Partial<RefundForm>, string, string]>([
    [{ reason: '' }, 'reason', 'reason'],
    [{ reason: 'other', reasonText: ' x ' }, 'reasonText', 'reasonText'],
    [{ reason: 'duplicate' }, 'duplicateOf', 'duplicateOf'],
    [{ amount: '0.00' }, 'amount', 'amountZero'],
    [{ amount: '596.00' }, 'amount', 'amountCap'],
    [{ payeeName: ' ' }, 'payeeName', 'payeeName'],
    [{ payeeName: '杨小军' }, 'payeeReason', 'payeeReason'],
    [{ bank: '' }, 'bank', 'bank'],
    [{ branch: 'x' }, 'branch', 'branch'],
    [{ account: '' }, 'account', 'account_empty'],
    [{ account: '6222 02１2 345x' }, 'account', 'account_not_digits'],
    [{ account: '1234 567' }, 'account', 'account_length'],
  ])('%j → %s (%s)', (over, field, key) => {
    expect(formProblem(form(over), NAME, cap)).toMatchObject({ field, key })
  })
  it('an amount that is not money says the money rule', () => {
    expect(formProblem(form({ amount: '12.345' }), NAME, cap)).toEqual({ field: 'amount', money: 'MONEY_DECIMALS' })
    expect(formProblem(form({ amount: '' }), NAME, cap)).toEqual({ field: 'amount', money: 'MONEY_EMPTY' })
  })
  it('the cap itself is allowed, to the fen; a full-width amount is read as the core reads it', () => {
    expect(formProblem(form({ amount: '595.99' }), NAME, cap)).toBeNull()
    expect(formProblem(form({ amount: '５９５．９９' }), NAME, cap)).toBeNull()
    expect(formProblem(form({ amount: '595.991' }), NAME, cap)).toMatchObject({ field: 'amount' })
  })
  it('a duplicate is capped by its payment', () => {
    expect(formProblem(form({ reason: 'duplicate', duplicateOf: 'X', amount: '300.01' }), NAME, '300.00')).toMatchObject({ key: 'amountCap', params: { cap: '300.00' } })
  })
  it('another payee with a reason passes', () => {
    expect(formProblem(form({ payeeName: '杨小军', payeeReason: '授权委托书' }), NAME, cap)).toBeNull()
  })
})

describe('submitInput', () => {
  it('sends the 户名 as null, the account digits only, and no text the reason does not use', () => {
    expect(submitInput('3100000045', NAME, form({ reasonText: 'left over', duplicateOf: 'R1', payeeReason: 'left over', amount: ' ５００ ' }))).toEqual({
      account_no: '3100000045',
      reason: 'overpaid',
      reason_text: null,
      amount: '500',
      payee_name: null,
      payee_reason: null,
      payee_bank: '中国工商银行',
      payee_branch: '示范市东城支行',
      payee_account: '6222021234567890123',
      docs: { id_card: true, original_receipt: false, closure_form: false },
      duplicate_of: null,
    })
  })
  it('another payee goes with the reason; a duplicate with its receipt; 其他 with its words', () => {
    const dup = submitInput('3100000045', NAME, form({ reason: 'duplicate', duplicateOf: 'DEMO-01-2026-000002', payeeName: ' 杨小军 ', payeeReason: ' 委托书 ' }))
    expect(dup).toMatchObject({ reason: 'duplicate', duplicate_of: 'DEMO-01-2026-000002', payee_name: '杨小军', payee_reason: '委托书' })
    expect(submitInput('3100000045', NAME, form({ reason: 'other', reasonText: ' 表计故障 ' })).reason_text).toBe('表计故障')
  })
})

describe('states', () => {
  it('the amount is held from submission until a rejection or the payout', () => {
    expect(STATES.filter(holds)).toEqual(['submitted', 'hall_approved', 'at_ledger', 'finance_approved'])
    expect(STATES.filter(isFinal)).toEqual(['hall_rejected', 'finance_rejected', 'paid'])
  })
  it('the account card counts the open requests and the overdue among them', () => {
    const r = (state: RefundInfo['state'], overdue = false) => ({ state, overdue }) as RefundInfo
    expect(openRefunds({ held: '0.00', refundable: '10.00', requests: [r('paid'), r('hall_rejected')] })).toBeNull()
    expect(openRefunds({ held: '1100.00', refundable: '295.99', requests: [r('submitted', true), r('at_ledger'), r('paid', false)] })).toEqual({
      held: '1100.00',
      refundable: '295.99',
      open: 2,
      overdue: 1,
    })
  })
})

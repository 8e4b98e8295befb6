// 退费 as the UI checks it before the core does: the reasons and states in their order, the payee's
// bank account number as the cashier types it (read back in groups of four), the cap of a request
// (the account's refundable amount, or for a 重复缴费 what is left of the payment it names), and
// the request built from the F3 dialog's fields with the first thing missing. The core checks
// everything again (`src/refunds`, `desk/refunds`): these rules only save a round trip and put the
// cursor on the field at fault. Amounts stay strings and BigInt 分 (money.ts), never floats.
import type { DuplicateCandidate } from '@/bindings/DuplicateCandidate'
import type { Reason } from '@/bindings/Reason'
import type { RefundContext } from '@/bindings/RefundContext'
import type { RefundDocs } from '@/bindings/RefundDocs'
import type { RefundInfo } from '@/bindings/RefundInfo'
import type { RefundSubmitRequest } from '@/bindings/RefundSubmitRequest'
import type { State } from '@/bindings/State'
import { formatAmount, halfWidth, plainAmount, tryParseFen, type MoneyCode } from '@/money'

/** 退费原因 in the order the select offers them. */
export const REASONS: readonly Reason[] = ['overpaid', 'duplicate', 'closure', 'billing_error', 'other']

/** Every state, in the order of the workflow (the filters offer them so). */
export const STATES: readonly State[] = [
  'submitted',
  'hall_approved',
  'hall_rejected',
  'at_ledger',
  'finance_approved',
  'finance_rejected',
  'paid',
]

/** Nothing more happens to a request in these states: its 退费通知单 may be printed. */
export function isFinal(state: State): boolean {
  return state === 'hall_rejected' || state === 'finance_rejected' || state === 'paid'
}

/** The amount is held (not spendable, not refundable again) in these states (`State::holds`). */
export function holds(state: State): boolean {
  return state === 'submitted' || state === 'hall_approved' || state === 'at_ledger' || state === 'finance_approved'
}

/** Shortest and longest payee account number, in digits (`refunds::account_number`). */
export const ACCOUNT_MIN_DIGITS = 8
export const ACCOUNT_MAX_DIGITS = 30

/**
 * A bank account number as typed, made plain as the core reads it: full-width digits become
 * digits, spaces (of either width) and hyphens (of any kind) inside are dropped. Anything else is
 * kept, so that a letter typed by mistake is refused rather than silently removed.
 */
export function accountDigits(typed: string): string {
  return halfWidth(typed).replace(/[\s\-\u2010-\u2015\u2212\uff0d]/g, '')
}

/** The number in groups of four (`6222 0212 3456 7890 123`), for the cashier to read back. */
export function groupAccount(typed: string): string {
  const d = accountDigits(typed)
  return d.replace(/(.{4})(?=.)/g, '$1 ')
}

/** Why a typed account number is refused, or null: `empty`, `not_digits`, `length`. */
export function accountProblem(typed: string): 'empty' | 'not_digits' | 'length' | null {
  const d = accountDigits(typed)
  if (d === '') return 'empty'
  if (!/^\d+$/.test(d)) return 'not_digits'
  if (d.length < ACCOUNT_MIN_DIGITS || d.length > ACCOUNT_MAX_DIGITS) return 'length'
  return null
}

/**
 * The most this request may ask: the account's refundable amount, or for a 重复缴费 the
 * `refundable` of the payment it names (already at most the account's). Null for a duplicate
 * whose receipt is not chosen yet.
 */
export function capFor(ctx: Pick<RefundContext, 'refundable' | 'duplicates'>, reason: Reason | '', duplicateOf: string): string | null {
  if (reason !== 'duplicate') return ctx.refundable
  const row = ctx.duplicates.find((d) => d.receipt_no === duplicateOf)
  return row ? row.refundable : null
}

/** The payments a 重复缴费 may still name (something left to refund). */
export function openDuplicates(ctx: Pick<RefundContext, 'duplicates'>): DuplicateCandidate[] {
  return ctx.duplicates.filter((d) => {
    const r = tryParseFen(d.refundable)
    return r.ok && r.fen > 0n
  })
}

/** The payee is someone other than the 户名 (a reason in words is then required). */
export function otherPayee(payee: string, accountName: string): boolean {
  const p = payee.trim()
  return p !== '' && p !== accountName.trim()
}

/** What the F3 dialog holds. */
export type RefundForm = {
  reason: Reason | ''
  reasonText: string
  duplicateOf: string
  amount: string
  payeeName: string
  payeeReason: string
  bank: string
  branch: string
  account: string
  docs: RefundDocs
}

/** The fields of the F3 dialog, each an input with this `data-field`, in Enter order. */
export type RefundField =
  | 'reason'
  | 'reasonText'
  | 'duplicateOf'
  | 'amount'
  | 'payeeName'
  | 'payeeReason'
  | 'bank'
  | 'branch'
  | 'account'
  | 'idCard'
  | 'originalReceipt'
  | 'closureForm'

/** The fields shown for this form, in Enter order. */
export function fieldOrder(form: Pick<RefundForm, 'reason' | 'payeeName'>, accountName: string): RefundField[] {
  const f: RefundField[] = ['reason']
  if (form.reason === 'other') f.push('reasonText')
  if (form.reason === 'duplicate') f.push('duplicateOf')
  f.push('amount', 'payeeName')
  if (otherPayee(form.payeeName, accountName)) f.push('payeeReason')
  f.push('bank', 'branch', 'account', 'idCard', 'originalReceipt', 'closureForm')
  return f
}

/** Why a field is refused before anything is sent: an i18n key under `refund.invalid.` (or a money code). */
export type RefundProblem =
  | { field: RefundField; key: string; params?: Record<string, string> }
  | { field: 'amount'; money: MoneyCode }

/** Free text the core takes: at least `min` characters after trimming. */
function tooShort(s: string, min: number): boolean {
  return [...s.trim()].length < min
}

/** The first problem of the form (in Enter order), or null. `cap` is `capFor`'s answer. */
export function formProblem(form: RefundForm, accountName: string, cap: string | null): RefundProblem | null {
  if (form.reason === '') return { field: 'reason', key: 'reason' }
  if (form.reason === 'other' && tooShort(form.reasonText, 2)) return { field: 'reasonText', key: 'reasonText' }
  if (form.reason === 'duplicate' && form.duplicateOf === '') return { field: 'duplicateOf', key: 'duplicateOf' }
  const a = tryParseFen(form.amount)
  if (!a.ok) return { field: 'amount', money: a.code }
  if (a.fen === 0n) return { field: 'amount', key: 'amountZero' }
  if (cap !== null) {
    const c = tryParseFen(cap)
    if (c.ok && a.fen > c.fen) return { field: 'amount', key: 'amountCap', params: { cap: formatAmount(cap) } }
  }
  if (form.payeeName.trim() === '') return { field: 'payeeName', key: 'payeeName' }
  if (otherPayee(form.payeeName, accountName) && tooShort(form.payeeReason, 2)) return { field: 'payeeReason', key: 'payeeReason' }
  if (tooShort(form.bank, 2)) return { field: 'bank', key: 'bank' }
  if (tooShort(form.branch, 2)) return { field: 'branch', key: 'branch' }
  const acc = accountProblem(form.account)
  if (acc !== null) return { field: 'account', key: 'account_' + acc }
  return null
}

/** The request to send (the session token added by the caller), once `formProblem` has none. */
export function submitInput(accountNo: string, accountName: string, form: RefundForm): Omit<RefundSubmitRequest, 'token'> {
  const other = otherPayee(form.payeeName, accountName)
  return {
    account_no: accountNo,
    reason: form.reason as Reason,
    reason_text: form.reason === 'other' ? form.reasonText.trim() : null,
    amount: plainAmount(form.amount),
    // The 户名 is the default: null says "the account's own name", as the core stores it.
    payee_name: other ? form.payeeName.trim() : null,
    payee_reason: other ? form.payeeReason.trim() : null,
    payee_bank: form.bank.trim(),
    payee_branch: form.branch.trim(),
    payee_account: accountDigits(form.account),
    docs: { ...form.docs },
    duplicate_of: form.reason === 'duplicate' ? form.duplicateOf : null,
  }
}

/** What an account's open requests hold, for its card: the sum, how many, how many overdue. */
export type OpenRefunds = { held: string; refundable: string; open: number; overdue: number }

/** The account card's line, from its refund context; null when nothing is held. */
export function openRefunds(ctx: Pick<RefundContext, 'held' | 'refundable' | 'requests'>): OpenRefunds | null {
  const open = ctx.requests.filter((r) => holds(r.state))
  if (open.length === 0) return null
  return { held: ctx.held, refundable: ctx.refundable, open: open.length, overdue: open.filter((r) => r.overdue).length }
}

/** May the hall still decide this request (营业厅审核)? */
export function awaitsHall(r: Pick<RefundInfo, 'state'>): boolean {
  return r.state === 'submitted'
}

// 财务复核 (the finance view) as the UI checks it before the ledger does: the list's filters as a
// RefundQuery (only what was typed, dates and amounts checked), and the payout (付款登记: a date, the
// bank's reference, the amount paid, which must be the amount approved, to the fen). The ledger
// checks everything again; these rules put the cursor on the field at fault.
import type { Reason } from '@/bindings/Reason'
import type { RefundQuery } from '@/bindings/RefundQuery'
import type { State } from '@/bindings/State'
import { plainAmount, tryParseFen } from '@/money'

/** Requests per page of the finance list. */
export const PAGE_SIZE = 50

export type FinanceFilters = {
  state: State | ''
  terminal: string
  area: string
  from: string
  to: string
  minAmount: string
  maxAmount: string
  reason: Reason | ''
  overdue: boolean
}

/** What the finance list shows first: what waits for a finance reviewer. */
export function defaultFilters(): FinanceFilters {
  return { state: 'at_ledger', terminal: '', area: '', from: '', to: '', minAmount: '', maxAmount: '', reason: '', overdue: false }
}

/** A calendar date written YYYY-MM-DD (and a real one: no 2026-02-30). */
export function isDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false
  const d = new Date(`${s}T00:00:00Z`)
  // An impossible day (2026-02-30) rolls over into another date, or is no date at all.
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s
}

/** The filter field at fault and why: `date` or `amount`. */
export type FilterProblem = { field: keyof FinanceFilters; kind: 'date' | 'amount' }

/** The filters as the ledger's query (only the ones given), or the first one that is wrong. */
export function buildQuery(f: FinanceFilters, offset = 0, limit = PAGE_SIZE): { query: RefundQuery } | { problem: FilterProblem } {
  const q: RefundQuery = { limit, offset }
  if (f.state !== '') q.state = f.state
  if (f.terminal.trim() !== '') q.terminal = f.terminal.trim().toUpperCase()
  if (f.area.trim() !== '') q.area = f.area.trim().toUpperCase()
  for (const key of ['from', 'to'] as const) {
    const v = f[key].trim()
    if (v === '') continue
    if (!isDate(v)) return { problem: { field: key, kind: 'date' } }
    q[key] = v
  }
  for (const [key, out] of [
    ['minAmount', 'min_amount'],
    ['maxAmount', 'max_amount'],
  ] as const) {
    const v = f[key].trim()
    if (v === '') continue
    if (!tryParseFen(v).ok) return { problem: { field: key, kind: 'amount' } }
    q[out] = plainAmount(v)
  }
  if (f.reason !== '') q.reason = f.reason
  if (f.overdue) q.overdue = true
  return { query: q }
}

export type PayoutForm = { date: string; bankRef: string; amount: string }

/** Why the payout cannot be sent yet (an i18n key under `finance.`), with its field; or null. */
export type PayoutProblem = { field: keyof PayoutForm; key: 'invalidDate' | 'refMissing' | 'payMismatch' | 'money'; code?: string }

/** The payout's first problem: the date, the reference, the amount (exactly the approved one). */
export function payoutProblem(p: PayoutForm, approved: string): PayoutProblem | null {
  if (!isDate(p.date.trim())) return { field: 'date', key: 'invalidDate' }
  if (p.bankRef.trim() === '') return { field: 'bankRef', key: 'refMissing' }
  const a = tryParseFen(p.amount)
  if (!a.ok) return { field: 'amount', key: 'money', code: a.code }
  const want = tryParseFen(approved)
  if (!want.ok || a.fen !== want.fen) return { field: 'amount', key: 'payMismatch' }
  return null
}

/** 1-based first and last row of a page, for "第 1–50 笔". */
export function pageRange(offset: number, shown: number): { from: number; to: number } {
  return { from: shown === 0 ? 0 : offset + 1, to: offset + shown }
}

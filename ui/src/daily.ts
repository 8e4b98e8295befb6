// 实收日报 as the UI asks for it: whose takings (the scope a role may see: a cashier their own day
// or their open shift; a supervisor or finance the terminal-day, a cashier by name or a shift by
// number), the day before and after, and who appears in a report (the cashiers to pick from). The
// core checks the scope again (FORBIDDEN for another cashier's) and builds the report; money in it
// is shown as received.
import type { Role } from '@/bindings/Role'
import type { Scope } from '@/bindings/Scope'
import type { VoidRow } from '@/bindings/VoidRow'
import { isDate } from '@/finance'
import { halfWidth } from '@/money'

export type ScopeKind = Scope['kind']

/** The scopes a role is offered, the first being the one shown first. */
export function scopeKinds(role: Role, shiftOpen: boolean): ScopeKind[] {
  if (role === 'cashier') return shiftOpen ? ['cashier', 'shift'] : ['cashier']
  return ['terminal_day', 'cashier', 'shift']
}

/** The scope form as typed. */
export type ScopeForm = { kind: ScopeKind; cashier: string; shift: string }

/** Why the scope cannot be asked for: the cashier's name or the shift's number is missing/wrong. */
export type ScopeProblem = 'cashier' | 'shift'

/**
 * The scope to ask for. A cashier asks for their own name and their own open shift whatever was
 * typed (the core refuses anything else); others type a name or a shift number.
 */
export function scopeOf(form: ScopeForm, role: Role, me: string, openShift: number | null): { scope: Scope } | { problem: ScopeProblem } {
  if (form.kind === 'terminal_day') return { scope: { kind: 'terminal_day' } }
  if (form.kind === 'cashier') {
    const name = role === 'cashier' ? me : form.cashier.trim()
    return name === '' ? { problem: 'cashier' } : { scope: { kind: 'cashier', username: name } }
  }
  if (role === 'cashier') return openShift === null ? { problem: 'shift' } : { scope: { kind: 'shift', shift_id: openShift } }
  const digits = halfWidth(form.shift).trim()
  if (!/^\d{1,9}$/.test(digits)) return { problem: 'shift' }
  let n = 0
  for (const c of digits) n = n * 10 + (c.charCodeAt(0) - 48)
  return n > 0 ? { scope: { kind: 'shift', shift_id: n } } : { problem: 'shift' }
}

/** The day `days` away from `date` (YYYY-MM-DD), by the calendar; `date` itself when it is no date. */
export function shiftDay(date: string, days: number): string {
  if (!isDate(date)) return date
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}

/** The cashiers a report names (its receipts, voids, deposits and closes), sorted. */
export function cashiersOf(r: Record<'receipts' | 'voids' | 'deposits' | 'closes', ReadonlyArray<{ cashier: string }>>): string[] {
  const names = new Set<string>()
  for (const x of [...r.receipts, ...r.voids, ...r.deposits, ...r.closes]) names.add(x.cashier)
  return [...names].sort()
}

/** A void of an earlier day's receipt: a correction (更正) that lowers this day's net. */
export function isCorrection(v: Pick<VoidRow, 'issued_on'>, date: string): boolean {
  return v.issued_on < date
}

/** A difference (长短款) as the core wrote it: negative is 短款, positive 长款, zero 相符. */
export function overShort(amount: string): 'over' | 'short' | 'even' {
  if (amount.startsWith('-')) return 'short'
  return /[1-9]/.test(amount) ? 'over' : 'even'
}

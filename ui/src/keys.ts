// The keys of the counter (收费台): which are offered in each situation, in the footer and to the
// keyboard, and which one a key press means. Only the keys that apply are offered and answered;
// the core checks every operation again.

/** What a key opens at the counter. */
export type CounterModal =
  | 'cash'
  | 'transfer'
  | 'vend'
  | 'void'
  | 'deposit'
  | 'close'
  | 'reprint'
  | 'settings'
  | 'refund'
  | 'refunds'
  | 'notice'
  | 'arrears'
  | 'deposits'
  | 'daily'

/** A key offered at the counter: `shift` for Shift+key. */
export type CounterKey = { key: string; shift?: boolean; modal: CounterModal; label: string }

/** The situation at the counter, as the keys depend on it. */
export type CounterState = {
  /** A cashier or a supervisor (who take money and refunds). */
  collector: boolean
  /** ...with an open shift. */
  inShift: boolean
  /** An open postpaid / prepaid account may be paid for now (open shift, no result on screen). */
  postpaid: boolean
  prepaid: boolean
  /** An account is on the counter, and no result panel (F3 退费 needs no shift). */
  accountShown: boolean
  /** ...and it is in arrears (a bill past its due date): F4 prints its 催缴通知单 (no shift needed). */
  arrears?: boolean
  /** A supervisor: Shift+F4 催费, the batch of notices. */
  supervisor?: boolean
  /** A cashier, supervisor or finance reviewer: Shift+F10 解款记录, Shift+F12 实收日报. */
  reports?: boolean
}

/** The keys offered right now, in the order of the footer. */
export function counterKeys(s: CounterState): CounterKey[] {
  const k: CounterKey[] = []
  if (s.collector && s.accountShown) k.push({ key: 'F3', modal: 'refund', label: 'keys.refund' })
  if (s.collector) k.push({ key: 'F3', shift: true, modal: 'refunds', label: 'keys.refunds' })
  if (s.collector && s.accountShown && s.arrears) k.push({ key: 'F4', modal: 'notice', label: 'keys.notice' })
  if (s.supervisor) k.push({ key: 'F4', shift: true, modal: 'arrears', label: 'keys.arrears' })
  if (s.postpaid) k.push({ key: 'F5', modal: 'cash', label: 'keys.cash' }, { key: 'F6', modal: 'transfer', label: 'keys.transfer' })
  if (s.prepaid) k.push({ key: 'F7', modal: 'vend', label: 'keys.vend' })
  if (s.inShift) {
    k.push(
      { key: 'F8', modal: 'reprint', label: 'keys.reprint' },
      { key: 'F9', modal: 'void', label: 'keys.void' },
      { key: 'F10', modal: 'deposit', label: 'keys.deposit' },
      { key: 'F12', modal: 'close', label: 'keys.close' },
    )
  }
  if (s.reports) {
    k.push({ key: 'F10', shift: true, modal: 'deposits', label: 'keys.deposits' }, { key: 'F12', shift: true, modal: 'daily', label: 'keys.daily' })
  }
  k.push({ key: 'F11', modal: 'settings', label: 'keys.settings' })
  return k
}

/**
 * The key a press means: Shift+key first (Shift+F3), then the key itself, which Shift does not
 * change (Shift+F5 is F5).
 */
export function matchKey(keys: readonly CounterKey[], e: Pick<KeyboardEvent, 'key' | 'shiftKey'>): CounterKey | undefined {
  const shifted = e.shiftKey ? keys.find((k) => k.shift && k.key === e.key) : undefined
  return shifted ?? keys.find((k) => !k.shift && k.key === e.key)
}

/** The footer's name of a key, and its test id: `Shift+F3` / `key-S-F3`. */
export function keyLabel(k: CounterKey): string {
  return k.shift ? `Shift+${k.key}` : k.key
}
export function keyTestId(k: CounterKey): string {
  return 'key-' + (k.shift ? 'S-' : '') + k.key
}

// 催费 (the batch of arrears notices) as the UI checks it before the core does: the filters as typed
// become a NoticeFilter with only what was given (an address prefix, a category, a billing mode, a
// minimum amount owed, a minimum of days overdue, "not notified in the last N days"); an amount or
// a count of days that cannot be one puts the cursor on that field instead of asking the core.
// The core checks everything again (INPUT_INVALID names the field) and normalises 全角 itself; the
// amount is sent as typed, never as a number.
import type { BillingMode } from '@/bindings/BillingMode'
import type { Category } from '@/bindings/Category'
import type { NoticeFilter } from '@/bindings/NoticeFilter'
import type { NoticeRunStatus } from '@/bindings/NoticeRunStatus'
import { halfWidth, plainAmount, tryParseFen, type MoneyCode } from '@/money'

export const CATEGORIES: readonly Category[] = ['residential', 'commercial', 'industrial', 'agricultural']
export const BILLING_MODES: readonly BillingMode[] = ['postpaid', 'prepaid']

/** Most days a filter may name (the core's limit). */
export const MAX_DAYS = 3650

/** Notices per PDF (one print job each): the core's default, and its limits. */
export const DEFAULT_PER_PDF = 50
export const MAX_PER_PDF = 500

/** The 催费 filters as typed. */
export type NoticeForm = {
  address: string
  category: Category | ''
  billingMode: BillingMode | ''
  minOwed: string
  minDays: string
  skipDays: string
}

/** What the screen starts with: everyone in arrears not notified in the last 30 days. */
export function defaultNoticeForm(): NoticeForm {
  return { address: '', category: '', billingMode: '', minOwed: '', minDays: '', skipDays: '30' }
}

/** The field at fault and why: an amount (with the money code) or a count of days. */
export type NoticeFormProblem =
  | { field: 'minOwed'; kind: 'money'; code: MoneyCode }
  | { field: 'minDays' | 'skipDays'; kind: 'days' }

/** A count of days as typed (half-width or 全角 digits), 0–3650; null when it is not one. */
export function typedDays(s: string): number | null {
  const v = halfWidth(s).trim()
  if (!/^\d{1,4}$/.test(v)) return null
  let n = 0
  for (const c of v) n = n * 10 + (c.charCodeAt(0) - 48)
  return n <= MAX_DAYS ? n : null
}

/** The filters as the core's NoticeFilter (what was left empty is null), or the first field at fault. */
export function buildFilter(f: NoticeForm): { filter: NoticeFilter } | { problem: NoticeFormProblem } {
  const address = f.address.trim()
  const owed = f.minOwed.trim()
  let minOwed: string | null = null
  if (owed !== '') {
    const parsed = tryParseFen(owed)
    if (!parsed.ok) return { problem: { field: 'minOwed', kind: 'money', code: parsed.code } }
    minOwed = plainAmount(owed)
  }
  const days: Record<'minDays' | 'skipDays', number | null> = { minDays: null, skipDays: null }
  for (const key of ['minDays', 'skipDays'] as const) {
    if (f[key].trim() === '') continue
    const n = typedDays(f[key])
    if (n === null) return { problem: { field: key, kind: 'days' } }
    days[key] = n
  }
  return {
    filter: {
      address_prefix: address === '' ? null : address,
      category: f.category === '' ? null : f.category,
      billing_mode: f.billingMode === '' ? null : f.billingMode,
      min_owed: minOwed,
      min_days_overdue: days.minDays,
      skip_notified_days: days.skipDays,
    },
  }
}

/** Notices per print job as typed, 1–500; null when it is not one. */
export function typedPerPdf(s: string): number | null {
  const v = halfWidth(s).trim()
  if (!/^\d{1,3}$/.test(v)) return null
  let n = 0
  for (const c of v) n = n * 10 + (c.charCodeAt(0) - 48)
  return n >= 1 && n <= MAX_PER_PDF ? n : null
}

/** How far a run is, 0–100 (a run that selected nobody is complete once it has ended). */
export function progressPercent(s: Pick<NoticeRunStatus, 'printed' | 'selected' | 'state'>): number {
  if (s.selected <= 0) return s.state === 'running' ? 0 : 100
  return Math.min(100, Math.floor((s.printed * 100) / s.selected))
}

/** Accounts a stopped run did not print: counts of notices, not money. */
export function notPrinted(s: Pick<NoticeRunStatus, 'printed' | 'selected'>): number {
  return Math.max(0, s.selected - s.printed)
}

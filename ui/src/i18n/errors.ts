// Turning a backend error or notice into the sentence a cashier reads. The UI branches on the
// stable `code` only; the server's message is shown solely for codes this UI does not know.
import type { ApiError } from '@/api/call'
import type { Notice } from '@/bindings/Notice'
import { formatAmount } from '@/money'

/** Every error code the UI translates (each must exist in zh-CN and en: see errors.test.ts). */
export const ERROR_CODES = [
  'AUTH_INVALID',
  'AUTH_DISABLED',
  'SESSION_EXPIRED',
  'SESSION_LOCKED',
  'ALREADY_INITIALISED',
  'USER_NOT_FOUND',
  'PASSWORD_WEAK',
  'USER_GUARD',
  'FORBIDDEN',
  'ACCOUNT_NOT_FOUND',
  'QUERY_EMPTY',
  'INPUT_INVALID',
  'STORE_ERROR',
  'DATABASE_TOO_NEW',
  'DATABASE_IN_USE',
  'STARTUP_FAILED',
  'INTERNAL',
  'NETWORK',
  'SHIFT_ALREADY_OPEN',
  'SHIFT_NOT_OPEN',
  'ACCOUNT_CLOSED',
  'WRONG_BILLING_MODE',
  'TENDERED_TOO_LITTLE',
  'TENDERED_MISSING',
  'TENDERED_TOO_LARGE',
  'TENDERED_CONFIRM',
  'AMOUNT_ZERO',
  'BANK_FIRST',
  'APPROVAL_REQUIRED',
  'HOLIDAY_CASH_LIMIT',
  'HOLIDAY_CASH_SHIFT_LIMIT',
  'HOLIDAY_CASH_OVERDUE',
  'RECEIPT_NUMBERS_USED_UP',
  'VOUCHER_USED',
  'VOUCHER_MISMATCH',
  'APPROVAL_INVALID',
  'APPROVAL_SELF',
  'APPROVAL_TOOK_MONEY',
  'APPROVAL_ROLE',
  'RECEIPT_NOT_FOUND',
  'VOID_REFUSED',
  'DEPOSIT_TOO_LARGE',
  'COUNT_NEEDS_APPROVAL',
  'MONEY_EMPTY',
  'MONEY_FORMAT',
  'MONEY_NEGATIVE',
  'MONEY_DECIMALS',
  'MONEY_TOO_LARGE',
  'USER_EXISTS',
  'PRINTER_NOT_SET',
  'PRINT_PRINTER_UNKNOWN',
  'PRINT_QUEUES_UNAVAILABLE',
  'PRINT_FONT_NOT_FOUND',
  'PRINT_FONT_PATH_INVALID',
  'PRINT_FONT_UNUSABLE',
  'PRINT_RECEIPT_INCONSISTENT',
  'PRINT_FIELD_TOO_LONG',
  'PRINT_PRINTER_NAME',
  'PRINT_COPIES',
  'PRINT_SPOOLER_MISSING',
  'PRINT_SPOOL_FAILED',
  'PRINT_SPOOL_TIMEOUT',
  'PRINT_IO',
  'SYNC_NOT_ENROLLED',
  'SYNC_OFFLINE',
  'SYNC_UNAUTHORIZED',
  'SYNC_REFUSED',
  'SYNC_BAD_REPLY',
  'SYNC_PUSH_FIRST',
  'SYNC_KEYRING',
  'KEYRING_UNAVAILABLE',
  'AUDIT_KEY_UNAVAILABLE',
  'DATA_KEY_UNAVAILABLE',
  'DATA_KEY_MISMATCH',
  'REFUND_STATE',
  'REFUND_AMOUNT',
  'REFUND_OWN',
  'REFUND_INPUT',
  'REFUND_PAYOUT_AMOUNT',
  'REFUND_NOT_FOUND',
  'FINANCE_REFUSED',
  'NO_ARREARS',
  'NOTICE_RUN_NOT_FOUND',
] as const

export const NOTICE_CODES = [
  'CALENDAR_MISSING',
  'DATA_KEY_IN_FILE',
  'KEYS_UNAVAILABLE',
  'AUDIT_BROKEN',
  'HOLIDAY_CASH_DUE',
  'HOLIDAY_CASH_OVERDUE',
  'DEPOSIT_OVERDUE',
  'PRINTER_NOT_SET',
] as const

/** Notices shown in red: they block work until someone acts. */
export const URGENT_NOTICES: readonly string[] = ['HOLIDAY_CASH_OVERDUE', 'KEYS_UNAVAILABLE', 'AUDIT_BROKEN']

type Translate = (key: string, named: Record<string, unknown>) => string

/**
 * The params that are amounts of money, whatever the code: shown in the screens' one format
 * (12,793.38), as every other amount is. The core sends them plain ("5000.00").
 */
export const MONEY_PARAMS: ReadonlySet<string> = new Set([
  'amount',
  'approved',
  'cap',
  'change',
  'held',
  'limit',
  'max',
  'refundable',
  'registered',
  'tendered',
  'total',
])

function params(p: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(p ?? {})) if (typeof v === 'string') out[k] = MONEY_PARAMS.has(k) ? formatAmount(v) : v
  return out
}

/**
 * Some params are names of things rather than values the cashier typed: the field (`tendered`),
 * the billing mode (`prepaid`), the role (`supervisor`). Those are translated too when the tables
 * know them; an unknown name is shown as received.
 */
const NAMED: Record<string, string> = {
  field: 'fields.',
  mode: 'billingModes.',
  role: 'roles.',
  state: 'refundStates.',
  step: 'refundSteps.',
}

/** Role names the refund rules use that are not counter roles (REFUND_OWN's `role`). */
const ROLE_ALIASES: Record<string, string> = { 'finance reviewer': 'finance' }

/** What APPROVAL_REQUIRED's `action` names (the core's words), as the approval dialog calls it. */
const APPROVAL_ACTIONS: Record<string, string> = {
  'holiday cash': 'approval.actions.holidayCash',
  'waive late fee': 'approval.actions.waiver',
  void: 'approval.actions.void',
  'shift close': 'approval.actions.shiftClose',
  refund: 'approval.actions.refund',
}

/** The text of `key`, or null when the tables have none (vue-i18n answers the key itself). */
function known(t: Translate, key: string, named: Record<string, unknown> = {}): string | null {
  const text = t(key, named)
  return text === key ? null : text
}

function localized(t: Translate, code: string, p: Record<string, string>): Record<string, string> {
  const out = { ...p }
  // A money error without a field is about the amount being typed.
  if ((code.startsWith('MONEY_') || code === 'AMOUNT_ZERO') && out.field === undefined) out.field = 'amount'
  if (out.role !== undefined) out.role = ROLE_ALIASES[out.role] ?? out.role
  for (const [param, table] of Object.entries(NAMED)) {
    const v = out[param]
    if (v === undefined) continue
    out[param] = known(t, table + v) ?? v
  }
  if (code === 'APPROVAL_REQUIRED') {
    const key = out.action === undefined ? undefined : APPROVAL_ACTIONS[out.action]
    out.action = key ? t(key, {}) : (out.action ?? t('approval.actions.generic', {}))
  }
  return out
}

export function errorText(t: Translate, err: Pick<ApiError, 'code' | 'message' | 'params'>): string {
  if ((ERROR_CODES as readonly string[]).includes(err.code)) {
    const p = params(err.params)
    // INPUT_INVALID's `reason` is the core's English; a field with a rule of its own says that
    // rule in the cashier's language instead (e.g. the password policy).
    if (err.code === 'INPUT_INVALID' && p.field !== undefined) {
      const rule = known(t, 'inputInvalid.' + p.field)
      if (rule !== null) return rule
    }
    // REFUND_INPUT's `reason` is the core's English too: the field's own rule when there is one.
    if (err.code === 'REFUND_INPUT' && p.field !== undefined) {
      const rule = known(t, 'refundInput.' + p.field)
      if (rule !== null) return rule
    }
    // The ledger's refusal of a finance call: its code in words (with the ledger's message where it
    // names who acted, e.g. CONFLICT); an unknown code shows the code and the message.
    if (err.code === 'FINANCE_REFUSED' && p.ledger_code !== undefined) {
      const text = known(t, 'financeRefused.' + p.ledger_code, { message: p.message ?? '' })
      if (text !== null) return text
    }
    // A weak password or a user guard names the rule it broke: that rule's own sentence.
    if ((err.code === 'PASSWORD_WEAK' || err.code === 'USER_GUARD') && p.rule !== undefined) {
      const rule = known(t, `rules.${err.code}.${p.rule}`)
      if (rule !== null) return rule
    }
    return t('errors.' + err.code, localized(t, err.code, p))
  }
  return t('errors.UNKNOWN', { code: err.code, message: err.message })
}

export function noticeText(t: Translate, notice: Notice): string {
  if ((NOTICE_CODES as readonly string[]).includes(notice.code)) return t('notices.' + notice.code, params(notice.params))
  return notice.message
}

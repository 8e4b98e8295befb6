// Turning a backend error or notice into the sentence a cashier reads. The UI branches on the
// stable `code` only; the server's message is shown solely for codes this UI does not know.
import type { ApiError } from '@/api/call'
import type { Notice } from '@/bindings/Notice'

/** Every error code the UI translates (each must exist in zh-CN and en: see errors.test.ts). */
export const ERROR_CODES = [
  'AUTH_INVALID',
  'AUTH_LOCKED',
  'AUTH_DISABLED',
  'SESSION_EXPIRED',
  'FORBIDDEN',
  'ACCOUNT_NOT_FOUND',
  'QUERY_EMPTY',
  'INPUT_INVALID',
  'STORE_ERROR',
  'INTERNAL',
  'NETWORK',
  'SHIFT_ALREADY_OPEN',
  'SHIFT_NOT_OPEN',
  'ACCOUNT_CLOSED',
  'WRONG_BILLING_MODE',
  'TENDERED_TOO_LITTLE',
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
  'APPROVAL_ROLE',
  'RECEIPT_NOT_FOUND',
  'VOID_REFUSED',
  'DEPOSIT_TOO_LARGE',
  'DIFFERENCE_NEEDS_APPROVAL',
  'MONEY_EMPTY',
  'MONEY_FORMAT',
  'MONEY_NEGATIVE',
  'MONEY_DECIMALS',
  'MONEY_TOO_LARGE',
  'USER_EXISTS',
  'PRINTER_NOT_SET',
  'PRINT_FONT_NOT_FOUND',
  'PRINT_FONT_PATH_INVALID',
  'PRINT_FONT_UNUSABLE',
  'PRINT_RECEIPT_INCONSISTENT',
  'PRINT_FIELD_TOO_LONG',
  'PRINT_PRINTER_NAME',
  'PRINT_COPIES',
  'PRINT_SPOOLER_MISSING',
  'PRINT_SPOOL_FAILED',
  'PRINT_IO',
  'SYNC_NOT_ENROLLED',
  'SYNC_OFFLINE',
  'SYNC_UNAUTHORIZED',
  'SYNC_REFUSED',
  'SYNC_BAD_REPLY',
  'SYNC_PUSH_FIRST',
  'SYNC_KEYRING',
  'DATA_KEY_UNAVAILABLE',
  'DATA_KEY_MISMATCH',
] as const

export const NOTICE_CODES = ['CALENDAR_MISSING', 'DATA_KEY_IN_FILE', 'HOLIDAY_CASH_DUE', 'HOLIDAY_CASH_OVERDUE'] as const

/** Notices shown in red: they block work until someone acts. */
export const URGENT_NOTICES: readonly string[] = ['HOLIDAY_CASH_OVERDUE']

type Translate = (key: string, named: Record<string, unknown>) => string

function params(p: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(p ?? {})) if (typeof v === 'string') out[k] = v
  return out
}

/**
 * Some params are names of things rather than values the cashier typed: the field (`tendered`),
 * the billing mode (`prepaid`), the role (`supervisor`). Those are translated too when the tables
 * know them; an unknown name is shown as received.
 */
const NAMED: Record<string, string> = { field: 'fields.', mode: 'billingModes.', role: 'roles.' }

function localized(t: Translate, code: string, p: Record<string, string>): Record<string, string> {
  const out = { ...p }
  // A money error without a field is about the amount being typed.
  if (code.startsWith('MONEY_') && out.field === undefined) out.field = 'amount'
  for (const [param, table] of Object.entries(NAMED)) {
    const v = out[param]
    if (v === undefined) continue
    const text = t(table + v, {})
    if (text !== table + v) out[param] = text
  }
  return out
}

export function errorText(t: Translate, err: Pick<ApiError, 'code' | 'message' | 'params'>): string {
  if ((ERROR_CODES as readonly string[]).includes(err.code)) {
    return t('errors.' + err.code, localized(t, err.code, params(err.params)))
  }
  return t('errors.UNKNOWN', { code: err.code, message: err.message })
}

export function noticeText(t: Translate, notice: Notice): string {
  if ((NOTICE_CODES as readonly string[]).includes(notice.code)) return t('notices.' + notice.code, params(notice.params))
  return notice.message
}

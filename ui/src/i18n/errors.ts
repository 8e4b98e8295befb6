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
] as const

export const NOTICE_CODES = ['CALENDAR_MISSING'] as const

type Translate = (key: string, named: Record<string, unknown>) => string

function params(p: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(p ?? {})) if (typeof v === 'string') out[k] = v
  return out
}

export function errorText(t: Translate, err: Pick<ApiError, 'code' | 'message' | 'params'>): string {
  if ((ERROR_CODES as readonly string[]).includes(err.code)) return t('errors.' + err.code, params(err.params))
  return t('errors.UNKNOWN', { code: err.code, message: err.message })
}

export function noticeText(t: Translate, notice: Notice): string {
  if ((NOTICE_CODES as readonly string[]).includes(notice.code)) return t('notices.' + notice.code, params(notice.params))
  return notice.message
}

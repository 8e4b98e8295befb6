import { describe, expect, it } from 'vitest'
import { createI18n } from 'vue-i18n'
import { ERROR_CODES, NOTICE_CODES, errorText, noticeText } from './errors'
import { messages } from './index'

function translator(locale: 'zh-CN' | 'en') {
  const i18n = createI18n({ legacy: false, locale, fallbackLocale: [], messages, missingWarn: false, fallbackWarn: false })
  return (key: string, named: Record<string, unknown>) => i18n.global.t(key, named)
}

const samples: Record<string, Record<string, string>> = {
  AUTH_LOCKED: { until: '14:05' },
  DATA_KEY_MISMATCH: { expected: '0123456789abcdef', found: 'fedcba9876543210' },
  ACCOUNT_NOT_FOUND: { account_no: '3199999999' },
  INPUT_INVALID: { field: 'password' },
  ACCOUNT_CLOSED: { account_no: '3100000042' },
  WRONG_BILLING_MODE: { account_no: '3100000042' },
  TENDERED_TOO_LITTLE: { tendered: '100.00', amount: '120.50' },
  HOLIDAY_CASH_LIMIT: { limit: '5000.00' },
  HOLIDAY_CASH_SHIFT_LIMIT: { limit: '20000.00' },
  HOLIDAY_CASH_OVERDUE: { receipt_no: 'DEMO-01-2026-000007', due_on: '2026-03-02' },
  RECEIPT_NUMBERS_USED_UP: { terminal: 'DEMO-01', year: '2026' },
  VOUCHER_USED: { bank: '中国工商银行', serial: 'ICBC20260301', receipt_no: 'DEMO-01-2026-000003', at: '2026-03-01 10:02:11', cashier: 'cashier2' },
  VOUCHER_MISMATCH: { bank: '中国农业银行', serial: 'ABC123', registered: '880.00', payer: '王建国' },
  RECEIPT_NOT_FOUND: { receipt_no: 'DEMO-01-2026-999999' },
  VOID_REFUSED: { receipt_no: 'DEMO-01-2026-000001' },
  DEPOSIT_TOO_LARGE: { amount: '9000.00', available: '8123.40' },
  DIFFERENCE_NEEDS_APPROVAL: { difference: '-12.30' },
  USER_EXISTS: { username: 'cashier9' },
}

const noticeSamples: Record<string, Record<string, string>> = {
  CALENDAR_MISSING: { year: '2027' },
  DATA_KEY_IN_FILE: { file: '/var/lib/cashdesk/cashdesk.sqlite.datakey' },
  HOLIDAY_CASH_DUE: { receipt_no: 'DEMO-01-2026-000004', amount: '5000.00', due_on: '2026-03-02' },
  HOLIDAY_CASH_OVERDUE: { receipt_no: 'DEMO-01-2026-000004', amount: '5000.00', due_on: '2026-03-02' },
}

describe.each(['zh-CN', 'en'] as const)('error texts in %s', (locale) => {
  const t = translator(locale)
  const table = messages[locale].errors as Record<string, string>

  it.each([...ERROR_CODES])('%s has its own translation', (code) => {
    expect(table[code], `${locale} lacks errors.${code}`).toBeTruthy()
    const text = errorText(t, { code, message: 'server text', params: samples[code] ?? {} })
    expect(text).not.toContain('errors.')
    expect(text).not.toContain('server text') // known codes never show the server's message
    for (const v of Object.values(samples[code] ?? {})) expect(text).toContain(v)
  })

  it('shows the code and the server message for an unknown code', () => {
    const text = errorText(t, { code: 'SOMETHING_NEW', message: '新的错误', params: {} })
    expect(text).toContain('SOMETHING_NEW')
    expect(text).toContain('新的错误')
  })

  it.each([...NOTICE_CODES])('notice %s is translated with its params', (code) => {
    const params = noticeSamples[code]!
    const text = noticeText(t, { code, message: 'server', params })
    for (const v of Object.values(params)) expect(text).toContain(v)
    expect(text).not.toContain('server')
  })

  it('names the field of a money error, and the amount when the core names none', () => {
    const withField = errorText(t, { code: 'MONEY_DECIMALS', message: '', params: { field: 'tendered' } })
    expect(withField).toContain(locale === 'en' ? 'cash tendered' : '实收金额')
    const without = errorText(t, { code: 'MONEY_FORMAT', message: '', params: {} })
    expect(without).toContain(locale === 'en' ? 'amount' : '金额')
    expect(without).not.toContain('{field}')
  })
})

describe('the wording a cashier sees (zh-CN)', () => {
  const t = translator('zh-CN')
  it('AUTH_INVALID warns about the lock-out', () => {
    expect(errorText(t, { code: 'AUTH_INVALID', message: '', params: {} })).toBe('用户名或密码错误；连续 5 次错误将锁定 15 分钟')
  })
  it('AUTH_LOCKED says until when', () => {
    expect(errorText(t, { code: 'AUTH_LOCKED', message: '', params: { until: '14:05' } })).toBe(
      '账户已锁定，请于 14:05 后再试或联系管理员',
    )
  })
  it('CALENDAR_MISSING names the year', () => {
    expect(noticeText(t, { code: 'CALENDAR_MISSING', message: '', params: { year: '2027' } })).toBe(
      '2027 年节假日安排尚未导入，按周末计算；请联系管理员导入',
    )
  })
  it('VOUCHER_USED shows the first use', () => {
    expect(errorText(t, { code: 'VOUCHER_USED', message: '', params: samples.VOUCHER_USED! })).toBe(
      '该银行凭证（中国工商银行 ICBC20260301）已使用过：收据 DEMO-01-2026-000003，2026-03-01 10:02:11，收费员 cashier2',
    )
  })
  it('WRONG_BILLING_MODE and APPROVAL_ROLE name the mode and the role in Chinese', () => {
    expect(errorText(t, { code: 'WRONG_BILLING_MODE', message: '', params: { account_no: '3100000002', mode: 'prepaid' } })).toContain(
      '为预付费用户',
    )
    expect(errorText(t, { code: 'APPROVAL_ROLE', message: '', params: { role: 'supervisor' } })).toBe('授权人必须是值班长')
  })
  it('HOLIDAY_CASH_LIMIT names the limit', () => {
    expect(errorText(t, { code: 'HOLIDAY_CASH_LIMIT', message: '', params: { limit: '5000.00' } })).toBe(
      '节假日现金售电每笔不超过 5000.00 元',
    )
  })
  it('an unknown notice shows the server message', () => {
    expect(noticeText(t, { code: 'NEW_NOTICE', message: '服务器提示', params: {} })).toBe('服务器提示')
  })
})

describe('printing errors', () => {
  const PRINT_CODES = [
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
  ]
  it.each(PRINT_CODES)('%s is a translated code', (code) => expect(ERROR_CODES).toContain(code))
  it('PRINTER_NOT_SET and PRINT_SPOOLER_MISSING say what to do', () => {
    const t = translator('zh-CN')
    expect(errorText(t, { code: 'PRINTER_NOT_SET', message: '', params: {} })).toBe('未设置打印机：请值班长在设置中选择打印机')
    expect(errorText(t, { code: 'PRINT_SPOOLER_MISSING', message: '', params: {} })).toMatch(/^打印服务不可用：请安装 CUPS/)
  })
})

describe('message tables', () => {
  it('zh-CN and en have the same keys', () => {
    const keys = (o: object, p = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' && v ? keys(v, p + k + '.') : [p + k]))
    expect(keys(messages.en).sort()).toEqual(keys(messages['zh-CN']).sort())
  })
})

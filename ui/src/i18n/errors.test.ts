import { describe, expect, it } from 'vitest'
import { createI18n } from 'vue-i18n'
import { ERROR_CODES, MONEY_PARAMS, NOTICE_CODES, URGENT_NOTICES, errorText, noticeText } from './errors'
import { formatAmount } from '@/money'
import { messages } from './index'

/** A param as the sentence shows it: amounts grouped by thousands, the rest as sent. */
const shown = ([k, v]: [string, string]) => (MONEY_PARAMS.has(k) ? formatAmount(v) : v)

function translator(locale: 'zh-CN' | 'en') {
  const i18n = createI18n({ legacy: false, locale, fallbackLocale: [], messages, missingWarn: false, fallbackWarn: false })
  return (key: string, named: Record<string, unknown>) => i18n.global.t(key, named)
}

const samples: Record<string, Record<string, string>> = {
  SESSION_LOCKED: { username: 'cashier1' },
  USER_NOT_FOUND: { username: 'nobody9' },
  DATA_KEY_MISMATCH: { expected: '0123456789abcdef', found: 'fedcba9876543210' },
  ACCOUNT_NOT_FOUND: { account_no: '3199999999' },
  INPUT_INVALID: { field: 'meter_no' },
  ACCOUNT_CLOSED: { account_no: '3100000042' },
  WRONG_BILLING_MODE: { account_no: '3100000042' },
  TENDERED_TOO_LITTLE: { tendered: '100.00', amount: '120.50' },
  TENDERED_TOO_LARGE: { max: '100000.00' },
  TENDERED_CONFIRM: { tendered: '18843.00', change: '18654.57', tendered_words: '人民币壹万捌仟捌佰肆拾叁元整', change_words: '人民币壹万捌仟陆佰伍拾肆元伍角柒分' },
  HOLIDAY_CASH_LIMIT: { limit: '5000.00' },
  HOLIDAY_CASH_SHIFT_LIMIT: { limit: '20000.00' },
  HOLIDAY_CASH_OVERDUE: { receipt_no: 'DEMO-01-2026-000007', due_on: '2026-03-02' },
  RECEIPT_NUMBERS_USED_UP: { terminal: 'DEMO-01', year: '2026' },
  VOUCHER_USED: { bank: '中国工商银行', serial: 'ICBC20260301', receipt_no: 'DEMO-01-2026-000003', at: '2026-03-01 10:02:11', cashier: 'cashier2' },
  VOUCHER_MISMATCH: { bank: '中国农业银行', serial: 'ABC123', registered: '880.00', payer: '王建国' },
  RECEIPT_NOT_FOUND: { receipt_no: 'DEMO-01-2026-999999' },
  VOID_REFUSED: { receipt_no: 'DEMO-01-2026-000001' },
  DEPOSIT_TOO_LARGE: { amount: '9000.00' },
  USER_EXISTS: { username: 'cashier9' },
  PRINT_SPOOL_TIMEOUT: { seconds: '30' },
  REFUND_AMOUNT: { amount: '800.00', refundable: '595.99' },
  REFUND_PAYOUT_AMOUNT: { approved: '800.00' },
  REFUND_NOT_FOUND: { request_no: 'DEMO-01-TF-2026-000009' },
  DATABASE_TOO_NEW: { found: '20991231000001', known: '20261207100001' },
  STARTUP_FAILED: { log: '/home/cashier/.local/share/cashdesk/logs' },
  // An input rule this UI has no sentence of its own for: the field and the core's reason.
  REFUND_INPUT: { field: 'payee_foo', reason: 'something new' },
  // A ledger code this UI does not know: the code and the ledger's message.
  FINANCE_REFUSED: { ledger_code: 'TEAPOT', message: '账务中心的新提示' },
  NO_ARREARS: { account_no: '3100000002' },
  NOTICE_RUN_NOT_FOUND: { run: '42' },
  APPROVAL_TOOK_MONEY: { approver: 'super1' },
}

/** The rules PASSWORD_WEAK and USER_GUARD name (src/error.rs, `password_rule` and `guard_rule`). */
const RULES: Record<string, string[]> = {
  PASSWORD_WEAK: ['too_short', 'too_long', 'control', 'digits_only', 'repeated', 'user_name', 'common'],
  USER_GUARD: ['self', 'last_admin', 'open_shift'],
}

const noticeSamples: Record<string, Record<string, string>> = {
  CALENDAR_MISSING: { year: '2027' },
  DATA_KEY_IN_FILE: { file: '/etc/cashdesk/keys' },
  // Its param is the error's code, which the sentence does not show (nor the core's English).
  KEYS_UNAVAILABLE: {},
  AUDIT_BROKEN: { seq: '1207' },
  HOLIDAY_CASH_DUE: { receipt_no: 'DEMO-01-2026-000004', amount: '5000.00', due_on: '2026-03-02' },
  HOLIDAY_CASH_OVERDUE: { receipt_no: 'DEMO-01-2026-000004', amount: '5000.00', due_on: '2026-03-02' },
  DEPOSIT_OVERDUE: { slip_no: 'JK0002', bank: '工商银行观山湖支行', amount: '800.00', deposited_at: '2026-02-27 16:30:00' },
  PRINTER_NOT_SET: {},
}

describe.each(['zh-CN', 'en'] as const)('error texts in %s', (locale) => {
  const t = translator(locale)
  const table = messages[locale].errors as Record<string, string>

  it.each(Object.entries(RULES).flatMap(([code, rules]) => rules.map((rule) => [code, rule])))(
    '%s names its rule %s in words of its own',
    (code, rule) => {
      const text = errorText(t, { code, message: 'server text', params: { rule } })
      expect(text).not.toBe(t(`errors.${code}`, {}))
      expect(text).not.toContain('rules.')
      expect(text).not.toContain('server text')
    },
  )

  it.each([...ERROR_CODES])('%s has its own translation', (code) => {
    expect(table[code], `${locale} lacks errors.${code}`).toBeTruthy()
    const text = errorText(t, { code, message: 'server text', params: samples[code] ?? {} })
    expect(text).not.toContain('errors.')
    expect(text).not.toContain('server text') // known codes never show the server's message
    for (const p of Object.entries(samples[code] ?? {})) expect(text).toContain(shown(p))
  })

  it('shows the code and the server message for an unknown code', () => {
    const text = errorText(t, { code: 'SOMETHING_NEW', message: '新的错误', params: {} })
    expect(text).toContain('SOMETHING_NEW')
    expect(text).toContain('新的错误')
  })

  it.each([...NOTICE_CODES])('notice %s is translated with its params', (code) => {
    const params = noticeSamples[code]!
    const text = noticeText(t, { code, message: 'server', params })
    for (const p of Object.entries(params)) expect(text).toContain(shown(p))
    expect(text).not.toContain('server')
  })

  it('shows the amounts a refusal names grouped by thousands, and other numbers as sent', () => {
    const text = errorText(t, { code: 'TENDERED_CONFIRM', message: '', params: { tendered: '18843.00', change: '18654.57' } })
    expect(text).toContain('18,843.00')
    expect(text).toContain('18,654.57')
    expect(noticeText(t, { code: 'HOLIDAY_CASH_DUE', message: '', params: { receipt_no: 'DEMO-01-2026-000004', amount: '5000.00', due_on: '2026-03-02' } })).toContain('5,000.00')
    expect(errorText(t, { code: 'AUDIT_BROKEN', message: '', params: { seq: '12070' } })).not.toContain('12,070')
    expect(noticeText(t, { code: 'AUDIT_BROKEN', message: '', params: { seq: '12070' } })).toContain('12070')
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
  it('AUTH_INVALID covers a wrong name, a wrong password and a locked user alike', () => {
    expect(errorText(t, { code: 'AUTH_INVALID', message: '', params: {} })).toBe(
      '用户名或密码错误；连续输错5次将锁定15分钟，可请管理员解锁',
    )
  })
  it('codes the core no longer sends are gone', () => {
    expect(ERROR_CODES).not.toContain('AUTH_LOCKED')
    expect(ERROR_CODES).not.toContain('DIFFERENCE_NEEDS_APPROVAL')
    expect(messages['zh-CN'].errors).not.toHaveProperty('AUTH_LOCKED')
    expect(messages['zh-CN'].errors).not.toHaveProperty('DIFFERENCE_NEEDS_APPROVAL')
  })
  it.each([
    ['holiday cash', '节假日现金售电需要值班长授权'],
    ['waive late fee', '减免违约金需要值班长授权'],
    ['void', '作废收据需要值班长授权'],
    ['shift close', '交班清点需要值班长授权'],
  ])('APPROVAL_REQUIRED names the action %j', (action, text) => {
    expect(errorText(t, { code: 'APPROVAL_REQUIRED', message: '', params: { action } })).toBe(text)
  })
  it('APPROVAL_REQUIRED without an action still reads as a sentence', () => {
    expect(errorText(t, { code: 'APPROVAL_REQUIRED', message: '', params: {} })).toBe('此操作需要值班长授权')
  })
  it('the blind count: neither COUNT_NEEDS_APPROVAL nor DEPOSIT_TOO_LARGE shows what the drawer should hold', () => {
    const count = errorText(t, { code: 'COUNT_NEEDS_APPROVAL', message: '', params: {} })
    expect(count).toContain('值班长授权')
    expect(count).not.toMatch(/\d|短款|长款|\{/)
    // Even should a parameter come along, the text has no place for it.
    const deposit = errorText(t, { code: 'DEPOSIT_TOO_LARGE', message: '', params: { amount: '9000.00', available: '8123.40' } })
    expect(deposit).toContain('9,000.00')
    expect(deposit).not.toMatch(/8,?123\.40/)
  })
  it('TENDERED_CONFIRM shows both amounts in figures and 大写', () => {
    expect(errorText(t, { code: 'TENDERED_CONFIRM', message: '', params: samples.TENDERED_CONFIRM! })).toBe(
      '请核对：实收 18,843.00（人民币壹万捌仟捌佰肆拾叁元整），找零 18,654.57（人民币壹万捌仟陆佰伍拾肆元伍角柒分）；无误请再次确认',
    )
  })
  it('TENDERED_MISSING names the exact-amount key, AMOUNT_ZERO the field', () => {
    expect(errorText(t, { code: 'TENDERED_MISSING', message: '', params: {} })).toBe('请输入实收金额，或按 F4 按应收金额收取')
    expect(errorText(t, { code: 'AMOUNT_ZERO', message: '', params: { field: 'amount' } })).toBe('金额必须大于 0.00')
    expect(errorText(t, { code: 'AMOUNT_ZERO', message: '', params: {} })).toBe('金额必须大于 0.00')
  })
  it('INPUT_INVALID of a password states the policy in Chinese, not the core\'s English reason', () => {
    const text = errorText(t, { code: 'INPUT_INVALID', message: 'password: use at least 10 characters', params: { field: 'password', reason: 'use at least 10 characters' } })
    expect(text).toContain('10')
    expect(text).toContain('不能包含用户名')
    expect(text).toContain('常见密码')
    expect(text).not.toContain('use at least')
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
      '节假日现金售电每笔不超过 5,000.00 元',
    )
  })
  it('KEYRING_UNAVAILABLE and KEYS_UNAVAILABLE say in Chinese what is refused and how to enable keys', () => {
    const error = errorText(t, {
      code: 'KEYRING_UNAVAILABLE',
      message: 'this computer has no usable OS keyring (no D-Bus)',
      params: { detail: 'no D-Bus' },
    })
    expect(error).toContain('密钥环')
    expect(error).toContain('身份证号')
    expect(error).toContain('cashdeskctl datakey file-store --path')
    expect(error).not.toContain('D-Bus')
    const notice = { code: 'KEYS_UNAVAILABLE', message: 'payments ... are refused', params: { error: 'KEYRING_UNAVAILABLE' } }
    expect(noticeText(t, notice)).toContain('不能收费、售电或受理退费')
    expect(noticeText(t, notice)).toContain('cashdeskctl datakey file-store --path')
    expect(URGENT_NOTICES).toContain('KEYS_UNAVAILABLE')
  })
  it('AUDIT_BROKEN names the entry, in red, and says what to do', () => {
    const notice = { code: 'AUDIT_BROKEN', message: 'the audit trail is broken at entry 1207', params: { seq: '1207', why: 'unlinked' } }
    expect(noticeText(t, notice)).toContain('第 1207 条')
    expect(noticeText(t, notice)).toContain('保持数据库文件原样')
    expect(URGENT_NOTICES).toContain('AUDIT_BROKEN')
  })
  it('an unknown notice shows the server message', () => {
    expect(noticeText(t, { code: 'NEW_NOTICE', message: '服务器提示', params: {} })).toBe('服务器提示')
  })
})

describe('refunds (zh-CN)', () => {
  const t = translator('zh-CN')
  const text = (code: string, params: Record<string, string>) => errorText(t, { code, message: 'server text', params })

  it('REFUND_STATE names the state and the step in words', () => {
    expect(text('REFUND_STATE', { state: 'paid', step: 'hall_approve' })).toBe('这笔退费申请当前为“已付款”，不能再“营业厅同意”')
    expect(text('REFUND_STATE', { state: 'hall_rejected', step: 'pay' })).toContain('营业厅驳回')
  })
  it('REFUND_AMOUNT shows the amount and the cap', () => {
    expect(text('REFUND_AMOUNT', { amount: '800.00', refundable: '595.99' })).toBe(
      '退费金额 800.00 超过可退金额 595.99（预存余额减去其他申请已冻结的金额）',
    )
  })
  it.each([
    ['supervisor', '值班长'],
    ['finance reviewer', '财务复核'],
  ])('REFUND_OWN names who must review instead (%s)', (role, words) => {
    const s = text('REFUND_OWN', { role })
    expect(s).toContain(words)
    expect(s).not.toContain(role)
  })
  it('REFUND_INPUT of the payee account number says the rule in Chinese, not the core\'s English', () => {
    const s = text('REFUND_INPUT', { field: 'payee_account', reason: 'a bank account number is 8-30 digits' })
    expect(s).toBe('收款账号应为 8–30 位数字（可以输入空格和横线）')
  })
  it('INPUT_INVALID of a refund field says its rule', () => {
    expect(text('INPUT_INVALID', { field: 'payee_reason', reason: 'say why' })).toContain('代领原因')
    expect(text('INPUT_INVALID', { field: 'reason_text', reason: 'say why' })).toContain('其他')
  })
  it('APPROVAL_REQUIRED for a refund names the hall review', () => {
    expect(text('APPROVAL_REQUIRED', { action: 'refund' })).toBe('退费营业厅审核需要值班长授权')
  })
  it.each([
    'UNAUTHORIZED',
    'AUTH_DISABLED',
    'FORBIDDEN',
    'REFUND_OWN',
    'CONFLICT',
    'REFUND_STATE',
    'REFUND_PAYOUT_AMOUNT',
    'REFUND_FLAGGED',
    'REFUND_INPUT',
    'REFUND_AMOUNT',
    'BAD_REQUEST',
    'NOT_FOUND',
    'UNAVAILABLE',
    'INTERNAL',
  ])(
    'FINANCE_REFUSED %s is said in words',
    (ledger_code) => {
      const s = text('FINANCE_REFUSED', { ledger_code, message: 'the ledger says so' })
      expect(s).not.toContain('financeRefused.')
      expect(s).not.toContain(ledger_code)
      expect(s).not.toContain('server text')
    },
  )
  it('FINANCE_REFUSED CONFLICT shows the ledger\'s message, which names who acted first', () => {
    const message = 'finance2 approved this request at 2026-03-02 10:15'
    expect(text('FINANCE_REFUSED', { ledger_code: 'CONFLICT', message })).toBe(`另一位复核人已先处理了这笔申请：${message}`)
  })
  it('FINANCE_REFUSED UNAUTHORIZED never says whether the name or the password was wrong', () => {
    const s = text('FINANCE_REFUSED', { ledger_code: 'UNAUTHORIZED', message: 'wrong password for finance1' })
    expect(s).toContain('用户名或密码错误，或登录已过期')
    expect(s).not.toContain('wrong password')
  })
  it('FINANCE_REFUSED REFUND_OWN in words', () => {
    expect(text('FINANCE_REFUSED', { ledger_code: 'REFUND_OWN', message: '' })).toBe(
      '不能复核自己受理或在营业厅审核过的退费申请：请另一位财务人员复核',
    )
  })
  it('an unknown ledger code shows the code and the message', () => {
    const s = text('FINANCE_REFUSED', { ledger_code: 'TEAPOT', message: '新提示' })
    expect(s).toBe('账务中心拒绝了请求（TEAPOT）：新提示')
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

describe('notices at log-in', () => {
  // Every code the core's log-in sends has the UI's own words: tests/core/login.rs checks the
  // core's list against NOTICE_CODES.
  it('PRINTER_NOT_SET tells whom to ask and where, with no command line', () => {
    const text = noticeText(translator('zh-CN'), { code: 'PRINTER_NOT_SET', message: 'no printer is set', params: {} })
    expect(text).toBe('本收费台尚未设置打印机，收据无法打印：请值班长在“设置”（F11）中选择打印机')
  })

  it('DEPOSIT_OVERDUE names the slip, the bank and the amount grouped', () => {
    const text = noticeText(translator('zh-CN'), {
      code: 'DEPOSIT_OVERDUE',
      message: 'server',
      params: { slip_no: 'JK0002', bank: '工商银行', amount: '12800.00', deposited_at: '2026-02-27 16:30:00' },
    })
    expect(text).toBe('解款单 JK0002（工商银行，12,800.00 元，2026-02-27 16:30:00 解款）至今未经账务中心确认到账：请与银行核对')
  })
})

describe('message tables', () => {
  it('zh-CN and en have the same keys', () => {
    const keys = (o: object, p = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' && v ? keys(v, p + k + '.') : [p + k]))
    expect(keys(messages.en).sort()).toEqual(keys(messages['zh-CN']).sort())
  })
})

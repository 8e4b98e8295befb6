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
  ACCOUNT_NOT_FOUND: { account_no: '3199999999' },
  INPUT_INVALID: { field: 'password' },
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
    const text = noticeText(t, { code, message: 'server', params: { year: '2027' } })
    expect(text).toContain('2027')
    expect(text).not.toContain('server')
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
  it('an unknown notice shows the server message', () => {
    expect(noticeText(t, { code: 'NEW_NOTICE', message: '服务器提示', params: {} })).toBe('服务器提示')
  })
})

describe('message tables', () => {
  it('zh-CN and en have the same keys', () => {
    const keys = (o: object, p = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' && v ? keys(v, p + k + '.') : [p + k]))
    expect(keys(messages.en).sort()).toEqual(keys(messages['zh-CN']).sort())
  })
})

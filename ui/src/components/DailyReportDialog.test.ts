import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import DailyReportDialog, { type DailyReportApi } from './DailyReportDialog.vue'
import { messages } from '@/i18n'
import { ApiError } from '@/api/call'
import type { DailyReport } from '@/bindings/DailyReport'
import type { DailyReportView } from '@/bindings/DailyReportView'
import type { DailySignOff } from '@/bindings/DailySignOff'
import type { PrintedDocument } from '@/bindings/PrintedDocument'
import type { Role } from '@/bindings/Role'
import type { Scope } from '@/bindings/Scope'

function report(scope: Scope, date = '2026-03-03'): DailyReport {
  return {
    terminal: 'DEMO-01',
    date,
    scope,
    totals: [
      { kind: 'payment', method: 'cash', count: 2, amount: '300.00' },
      { kind: 'vend', method: 'transfer', count: 1, amount: '1000.00' },
    ],
    total: '1300.00',
    cash_total: '300.00',
    transfer_total: '1000.00',
    voided_count: 1,
    voided_amount: '50.00',
    corrections: '200.00',
    net: '1100.00',
    waived_total: '3.10',
    holiday_cash_total: '0.00',
    deposits_total: '200.00',
    over_short: '-100.00',
    receipts: [
      {
        receipt_no: 'DEMO-01-2026-000010',
        at: '09:10:00',
        kind: 'payment',
        method: 'cash',
        account_no: '3100000001',
        name: '示范市金鼎超市',
        cashier: 'cashier1',
        amount: '100.00',
        waived: '3.10',
        waiver_reason: '系统故障',
        holiday_cash: false,
        voided_on: null,
      },
      {
        receipt_no: 'DEMO-01-2026-000011',
        at: '09:20:00',
        kind: 'payment',
        method: 'cash',
        account_no: '3100000004',
        name: '李明',
        cashier: 'cashier2',
        amount: '50.00',
        waived: '0.00',
        waiver_reason: null,
        holiday_cash: false,
        voided_on: '2026-03-03',
      },
    ],
    voids: [
      { receipt_no: 'DEMO-01-2026-000007', issued_on: '2026-03-02', at: '08:40:00', method: 'cash', amount: '200.00', reason: '重复收费', cashier: 'cashier1', approved_by: 'super1' },
    ],
    deposits: [{ slip_no: 'JK0001', bank: '中国工商银行', at: '16:00:00', cashier: 'cashier1', amount: '200.00', from_drawer: '200.00' }],
    closes: [{ shift_id: 3, cashier: 'cashier1', expected: '400.00', counted: '300.00', difference: '-100.00', reason: '点错', approved_by: 'super1' }],
  }
}

const unsigned = (scope: Scope, date?: string): DailyReportView => ({ report: report(scope, date), signed_by: null, signed_at: null })
const SIGNED: DailyReportView = { report: report({ kind: 'terminal_day' }), signed_by: '赵值班', signed_at: '2026-03-03 18:00:05' }
/** What sign_daily_report answers: who and when, no figures. */
const SIGN_OFF: DailySignOff = { terminal: 'DEMO-01', date: '2026-03-03', signed_by: '赵值班', signed_at: '2026-03-03 18:00:05' }
const PRINTED: PrintedDocument = { title: '实收日报 DEMO-01 2026-03-03', printer: 'counter-test' }

function api(over: Partial<DailyReportApi> = {}): DailyReportApi {
  return {
    report: vi.fn(async (date: string, scope: Scope) => unsigned(scope, date)),
    sign: vi.fn(async () => SIGN_OFF),
    export: vi.fn(async (_d: string, _s: Scope, format) => ({ file_name: `实收日报-DEMO-01-2026-03-03.${format}`, base64: 'YQ==' })),
    save: vi.fn(),
    pdf: vi.fn(async () => ({ title: '实收日报 DEMO-01 2026-03-03', pdf_base64: 'JVBERi0=' })),
    print: vi.fn(async () => PRINTED),
    ...over,
  }
}

/** The core's terminal-day: unsigned until `sign` has answered, then the signed report. */
function signingApi(): DailyReportApi {
  let signedOff = false
  return api({
    report: vi.fn(async (date: string, scope: Scope) => (signedOff && scope.kind === 'terminal_day' ? SIGNED : unsigned(scope, date))),
    sign: vi.fn(async () => {
      signedOff = true
      return SIGN_OFF
    }),
  })
}

async function setup(role: Role, a = api(), openShift: number | null = null) {
  const w = mount(DailyReportDialog, {
    props: { api: a, role, me: role === 'cashier' ? 'cashier1' : 'super2', openShift, today: '2026-03-03' },
    global: { plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })], stubs: { ReceiptPreview: true } },
    attachTo: document.body,
  })
  await flushPromises()
  return w
}

type W = Awaited<ReturnType<typeof setup>>
const get = (w: W, id: string) => w.get(`[data-testid="${id}"]`)

afterEach(() => {
  document.body.innerHTML = ''
})

describe('DailyReportDialog (Shift+F12 实收日报)', () => {
  it('a supervisor sees today\'s terminal-day: totals by kind and method, receipts, voids, deposits, over/short', async () => {
    const a = api()
    const w = await setup('supervisor', a)
    expect(a.report).toHaveBeenCalledWith('2026-03-03', { kind: 'terminal_day' })
    expect(get(w, 'daily-heading').text()).toBe('DEMO-01 · 2026-03-03 · 本终端全天')
    expect(get(w, 'daily-unsigned').text()).toBe('本日尚未签核')
    expect([get(w, 'daily-total').text(), get(w, 'daily-cash').text(), get(w, 'daily-net').text()]).toEqual(['1,300.00', '300.00', '1,100.00'])
    expect(get(w, 'daily-voided').text()).toBe('1 笔，50.00')
    expect(get(w, 'daily-over-short').classes()).toContain('short')
    expect(w.findAll('[data-testid="daily-total-row"]').map((r) => r.text())).toEqual(['电费缴费现金2300.00', '售电转账11,000.00'])
    expect(w.findAll('[data-testid="daily-receipt-row"]')[1]!.get('[data-testid="daily-receipt-voided"]').text()).toBe('2026-03-03 作废')
    expect(get(w, 'daily-correction').text()).toBe('更正')
    expect(get(w, 'daily-close-row').text()).toContain('短款')
    expect(get(w, 'daily-deposit-row').text()).toContain('JK0001')
  })

  it('the day before, a cashier by name (picked from those seen), a shift by number', async () => {
    const a = api()
    const w = await setup('finance', a)
    await get(w, 'daily-prev').trigger('click')
    await flushPromises()
    expect(a.report).toHaveBeenLastCalledWith('2026-03-02', { kind: 'terminal_day' })
    expect(w.find('[data-testid="daily-sign"]').exists()).toBe(false) // finance reads and exports only
    await get(w, 'daily-scope-cashier').trigger('click')
    expect(w.findAll('#daily-cashiers option').map((o) => o.attributes('value'))).toEqual(['cashier1', 'cashier2'])
    await get(w, 'daily-load').trigger('click')
    expect(get(w, 'daily-scope-invalid').text()).toBe('请填写收费员的用户名')
    await get(w, 'daily-cashier').setValue('cashier2')
    await get(w, 'daily-cashier').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(a.report).toHaveBeenLastCalledWith('2026-03-02', { kind: 'cashier', username: 'cashier2' })
    await get(w, 'daily-scope-shift').trigger('click')
    await get(w, 'daily-shift').setValue('3')
    await get(w, 'daily-shift').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(a.report).toHaveBeenLastCalledWith('2026-03-02', { kind: 'shift', shift_id: 3 })
    expect(get(w, 'daily-heading').text()).toBe('DEMO-01 · 2026-03-02 · 班次 3')
    await get(w, 'daily-date').setValue('2026-02-30')
    await get(w, 'daily-date').trigger('keydown', { key: 'Enter' })
    expect(get(w, 'daily-date-invalid').text()).toBe('日期应为日期，如 2026-03-01')
  })

  it('a cashier sees their own day and shift only', async () => {
    const a = api()
    const w = await setup('cashier', a, 7)
    expect(a.report).toHaveBeenCalledWith('2026-03-03', { kind: 'cashier', username: 'cashier1' })
    expect(w.find('[data-testid="daily-scope-terminal_day"]').exists()).toBe(false)
    await get(w, 'daily-scope-shift').trigger('click')
    await flushPromises()
    expect(a.report).toHaveBeenLastCalledWith('2026-03-03', { kind: 'shift', shift_id: 7 })
    expect(get(w, 'daily-scope-shift').text()).toBe('本班')
  })

  it('a supervisor who took no money signs at their own screen: the report is read again, signed, with no second 签核', async () => {
    const a = signingApi()
    const w = await setup('supervisor', a) // super2 logged in
    await get(w, 'daily-sign').trigger('click')
    expect(get(w, 'approval-action').text()).toBe('签核 2026-03-03 实收日报（终端 DEMO-01）')
    expect(w.get('[data-testid="approval-dialog"]').text()).toContain('可以是当前登录的值班长')
    await get(w, 'approval-username').setValue('super2')
    await get(w, 'approval-password').setValue('Super#2026')
    await get(w, 'approval-password').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(a.sign).toHaveBeenCalledWith('2026-03-03', { username: 'super2', password: 'Super#2026' })
    expect(w.find('[data-testid="approval-dialog"]').exists()).toBe(false)
    // The sign-off answers who and when only: the figures come from daily_report, read again.
    expect(a.report).toHaveBeenCalledTimes(2)
    expect(a.report).toHaveBeenLastCalledWith('2026-03-03', { kind: 'terminal_day' })
    expect(get(w, 'daily-signed').text()).toBe('已签核：赵值班，2026-03-03 18:00:05。签核后本日报冻结，不再变动；之后的作废列入作废当日日报的更正。')
    expect(w.find('[data-testid="daily-sign"]').exists()).toBe(false)
  })

  it('the report not read again after the sign-off: who and when from the sign-off, and no second 签核', async () => {
    let calls = 0
    const a = api({
      report: vi.fn(async (date: string, scope: Scope) => {
        if (calls++ > 0) throw new ApiError({ code: 'NETWORK', message: 'down', params: {} })
        return unsigned(scope, date)
      }),
    })
    const w = await setup('supervisor', a)
    await get(w, 'daily-sign').trigger('click')
    await get(w, 'approval-username').setValue('super2')
    await get(w, 'approval-password').setValue('Super#2026')
    await get(w, 'approval-password').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(get(w, 'daily-signed').text()).toBe('本终端 2026-03-03 的实收日报已由 赵值班 于 2026-03-03 18:00:05 签核，不再变动。')
    expect(w.find('[data-testid="daily-sign"]').exists()).toBe(false)
    expect(get(w, 'daily-total').text()).toBe('1,300.00') // the figures on screen stay
  })

  it('a supervisor who took money that day is refused by name; another one signs in the same dialog', async () => {
    const sign = vi.fn(async (_date: string, approval: { username: string }) => {
      if (approval.username === 'super2') throw new ApiError({ code: 'APPROVAL_TOOK_MONEY', message: 'x', params: { approver: 'super2' } })
      return SIGN_OFF
    })
    const a = api({ sign })
    const w = await setup('supervisor', a)
    await get(w, 'daily-sign').trigger('click')
    await get(w, 'approval-username').setValue('super2')
    await get(w, 'approval-password').setValue('pw')
    await get(w, 'approval-password').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(get(w, 'approval-error').text()).toBe('super2 当日在本终端收过款，不能签核本日报：请当日未收款的值班长签核')
    expect(document.activeElement).toBe(get(w, 'approval-password').element)
    await get(w, 'approval-username').setValue('super1')
    await get(w, 'approval-password').setValue('Super#2026')
    await get(w, 'approval-password').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(sign).toHaveBeenLastCalledWith('2026-03-03', { username: 'super1', password: 'Super#2026' })
    expect(w.find('[data-testid="approval-dialog"]').exists()).toBe(false)
    expect(get(w, 'daily-signed').text()).toContain('赵值班')
  })

  it('someone who is not a supervisor is told so in the sign-off\'s words', async () => {
    const a = api({
      sign: vi.fn(async () => {
        throw new ApiError({ code: 'APPROVAL_ROLE', message: 'x', params: { role: 'supervisor' } })
      }),
    })
    const w = await setup('cashier', a)
    await get(w, 'daily-sign').trigger('click')
    await get(w, 'approval-username').setValue('cashier1')
    await get(w, 'approval-password').setValue('pw')
    await get(w, 'approval-password').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(get(w, 'approval-error').text()).toBe('签核人须是值班长：请当日未在本终端收款的值班长输入本人的用户名和密码')
  })

  it('any other refusal closes the approval and is said under 签核; pressing it again asks for the same day', async () => {
    const sign = vi.fn(async (): Promise<DailySignOff> => {
      throw new ApiError({ code: 'STORE_ERROR', message: 'x', params: {} })
    })
    const a = api({ sign })
    const w = await setup('supervisor', a)
    await get(w, 'daily-sign').trigger('click')
    await get(w, 'approval-username').setValue('super1')
    await get(w, 'approval-password').setValue('Super#2026')
    await get(w, 'approval-password').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(w.find('[data-testid="approval-dialog"]').exists()).toBe(false)
    expect(get(w, 'daily-sign-error').text()).toBe('本地数据库出错，请重试；如仍失败请联系管理员')
    expect(get(w, 'daily-unsigned').text()).toBe('本日尚未签核')

    sign.mockResolvedValueOnce(SIGN_OFF)
    await get(w, 'daily-sign').trigger('click')
    expect(w.find('[data-testid="daily-sign-error"]').exists()).toBe(false)
    expect(get(w, 'approval-action').text()).toBe('签核 2026-03-03 实收日报（终端 DEMO-01）')
    await get(w, 'approval-username').setValue('super1')
    await get(w, 'approval-password').setValue('Super#2026')
    await get(w, 'approval-password').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(sign).toHaveBeenLastCalledWith('2026-03-03', { username: 'super1', password: 'Super#2026' })
    expect(get(w, 'daily-signed').text()).toContain('赵值班')
  })

  it('Esc in the approval signs nothing and leaves the 签核 offered', async () => {
    const a = api()
    const w = await setup('supervisor', a)
    await get(w, 'daily-sign').trigger('click')
    await get(w, 'approval-username').trigger('keydown', { key: 'Escape' })
    await flushPromises()
    expect(w.find('[data-testid="approval-dialog"]').exists()).toBe(false)
    expect(a.sign).not.toHaveBeenCalled()
    expect(w.find('[data-testid="daily-sign"]').exists()).toBe(true)
  })

  it('a day already signed: no 签核, the signature shown', async () => {
    const w = await setup('supervisor', api({ report: vi.fn(async () => SIGNED) }))
    expect(get(w, 'daily-signed').text()).toContain('已签核：赵值班')
    expect(w.find('[data-testid="daily-sign"]').exists()).toBe(false)
  })

  it('at a cashier\'s screen the supervisor signs the terminal-day; the cashier sees only that it is signed', async () => {
    const a = api()
    const w = await setup('cashier', a)
    expect(get(w, 'daily-sign').text()).toBe('请值班长签核本终端当日日报')
    await get(w, 'daily-sign').trigger('click')
    await get(w, 'approval-username').setValue('super1')
    await get(w, 'approval-password').setValue('Super#2026')
    await get(w, 'approval-password').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(get(w, 'daily-signed').text()).toBe('本终端 2026-03-03 的实收日报已由 赵值班 于 2026-03-03 18:00:05 签核，不再变动。')
    expect(get(w, 'daily-heading').text()).toBe('DEMO-01 · 2026-03-03 · 收费员 cashier1')
    // A cashier may not read the terminal-day: nothing is read after the sign-off.
    expect(a.report).toHaveBeenCalledTimes(1)
    expect(w.find('[data-testid="daily-sign"]').exists()).toBe(false)
  })

  it('exports the report on screen as XLSX or CSV and hands the file over', async () => {
    const a = api()
    const w = await setup('finance', a)
    await get(w, 'daily-export-xlsx').trigger('click')
    await flushPromises()
    expect(a.export).toHaveBeenCalledWith('2026-03-03', { kind: 'terminal_day' }, 'xlsx')
    expect(a.save).toHaveBeenCalledWith({ file_name: '实收日报-DEMO-01-2026-03-03.xlsx', base64: 'YQ==' })
    expect(get(w, 'daily-exported').text()).toBe('已导出 实收日报-DEMO-01-2026-03-03.xlsx')
    await get(w, 'daily-export-csv').trigger('click')
    await flushPromises()
    expect(a.export).toHaveBeenLastCalledWith('2026-03-03', { kind: 'terminal_day' }, 'csv')
  })

  it('PDF 预览 shows the report as the core prints it; 打印日报 has the core print it, once per click', async () => {
    let answer: (p: PrintedDocument) => void = () => undefined
    const a = api({ print: vi.fn(() => new Promise<PrintedDocument>((r) => (answer = r))) })
    const w = await setup('supervisor', a)
    await get(w, 'daily-pdf').trigger('click')
    await flushPromises()
    expect(a.pdf).toHaveBeenCalledWith('2026-03-03', { kind: 'terminal_day' })
    await get(w, 'daily-print').trigger('click')
    await get(w, 'daily-print').trigger('click') // a second click while it prints
    expect(get(w, 'daily-print').attributes('disabled')).toBeDefined()
    answer(PRINTED)
    await flushPromises()
    expect(a.print).toHaveBeenCalledTimes(1)
    expect(a.print).toHaveBeenCalledWith({ kind: 'daily_report', date: '2026-03-03', scope: { kind: 'terminal_day' } })
    expect(get(w, 'daily-printed').text()).toBe('已送打印机 counter-test：实收日报 DEMO-01 2026-03-03')
    expect(w.find('[data-testid="daily-pdf-view"]').exists()).toBe(true) // the preview stays
    // Another day: the preview of the old one goes.
    await get(w, 'daily-prev').trigger('click')
    await flushPromises()
    expect(w.find('[data-testid="daily-pdf-view"]').exists()).toBe(false)
  })

  it('no printer set: said in words, the preview stays', async () => {
    const a = api({
      print: vi.fn(async () => {
        throw new ApiError({ code: 'PRINTER_NOT_SET', message: 'no printer', params: {} })
      }),
    })
    const w = await setup('finance', a)
    await get(w, 'daily-pdf').trigger('click')
    await flushPromises()
    await get(w, 'daily-print').trigger('click')
    await flushPromises()
    expect(get(w, 'daily-print-error').text()).toBe('未能打印：未设置打印机：请值班长在设置中选择打印机')
    expect(w.find('[data-testid="daily-printed"]').exists()).toBe(false)
    expect(w.find('[data-testid="daily-pdf-view"]').exists()).toBe(true)
  })

  it('a report refused (another cashier\'s) is said in words', async () => {
    const w = await setup(
      'supervisor',
      api({
        report: vi.fn(async () => {
          throw new ApiError({ code: 'FORBIDDEN', message: 'x', params: {} })
        }),
      }),
    )
    expect(get(w, 'daily-error').text()).toBe('当前角色无权进行此操作，请联系值班长或管理员')
  })
})

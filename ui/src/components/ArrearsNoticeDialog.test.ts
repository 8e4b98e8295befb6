import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import ArrearsNoticeDialog from './ArrearsNoticeDialog.vue'
import { messages } from '@/i18n'
import { ApiError } from '@/api/call'
import type { NoticeLogEntry } from '@/bindings/NoticeLogEntry'
import type { PrintedNotice } from '@/bindings/PrintedNotice'
import type { NoticesApi } from '@/stores/notices'

const LOGGED: NoticeLogEntry = {
  notice_no: 'DEMO-01-CJ000003-0001',
  run: 3,
  kind: 'single',
  account_no: '3100000001',
  name: '王建国',
  printed_at: '2026-02-20T10:15:00+08:00',
  printed_by: 'cashier1',
  periods: 2,
  principal: '300.00',
  late_fee: '4.50',
  total: '304.50',
  pay_by: '2026-02-27',
}

const PRINTED: PrintedNotice = { notice_no: 'DEMO-01-CJ000007-0001', printer: 'counter-test', total: '310.20' }

type Api = Pick<NoticesApi, 'pdf' | 'print' | 'log'>

function api(over: Partial<Api> = {}): Api {
  return {
    pdf: vi.fn(async () => ({ account_no: '3100000001', total: '310.20', pdf_base64: 'JVBERi0=' })),
    print: vi.fn(async () => PRINTED),
    log: vi.fn(async () => [LOGGED]),
    ...over,
  }
}

async function setup(a: Api = api()) {
  const w = mount(ArrearsNoticeDialog, {
    props: { accountNo: '3100000001', accountName: '王建国', api: a },
    global: {
      plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })],
      stubs: { ReceiptPreview: true },
    },
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

describe('ArrearsNoticeDialog (F4)', () => {
  it('opens on the preview with the total owed and the notices given lately', async () => {
    const a = api()
    const w = await setup(a)
    expect(a.pdf).toHaveBeenCalledWith('3100000001')
    expect(a.log).toHaveBeenCalledWith({ account_no: '3100000001', limit: 3 })
    expect(get(w, 'notice-total').text()).toBe('310.20')
    expect(get(w, 'notice-recent-entry').text()).toBe('DEMO-01-CJ000003-0001（2026-02-20 10:15，cashier1，304.50 元）')
    expect(a.print).not.toHaveBeenCalled()
    expect(document.activeElement).toBe(get(w, 'notice-body').element)
  })

  it('Enter prints once, shows the 通知单号, and the next Enter closes', async () => {
    let answer: (p: PrintedNotice) => void = () => undefined
    const a = api({ print: vi.fn(() => new Promise<PrintedNotice>((r) => (answer = r))) })
    const w = await setup(a)
    const body = get(w, 'notice-body')
    await body.trigger('keydown', { key: 'Enter' })
    await body.trigger('keydown', { key: 'Enter' }) // a second Enter while it prints
    expect(a.print).toHaveBeenCalledTimes(1)
    expect(get(w, 'notice-print').text()).toBe('正在打印…')
    answer(PRINTED)
    await flushPromises()
    expect(get(w, 'notice-no').text()).toBe('DEMO-01-CJ000007-0001')
    expect(get(w, 'notice-done').text()).toContain('counter-test')
    expect(w.emitted('printed')).toEqual([[PRINTED]])
    expect(w.emitted('close')).toBeUndefined()
    await body.trigger('keydown', { key: 'Enter', repeat: true }) // held: nothing
    expect(w.emitted('close')).toBeUndefined()
    await body.trigger('keydown', { key: 'Enter' })
    expect(w.emitted('close')).toHaveLength(1)
    expect(a.print).toHaveBeenCalledTimes(1)
  })

  it('a print refused (no printer) is said in words and Enter tries again', async () => {
    const print = vi
      .fn<Api['print']>()
      .mockRejectedValueOnce(new ApiError({ code: 'PRINTER_NOT_SET', message: 'no printer', params: {} }))
      .mockResolvedValueOnce(PRINTED)
    const w = await setup(api({ print }))
    await get(w, 'notice-body').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(get(w, 'notice-error').text()).toBe('通知单未打印：未设置打印机：请值班长在设置中选择打印机')
    await get(w, 'notice-body').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(get(w, 'notice-no').text()).toBe('DEMO-01-CJ000007-0001')
    expect(w.find('[data-testid="notice-error"]').exists()).toBe(false)
  })

  it('an account without overdue bills: NO_ARREARS in words, nothing to print', async () => {
    const a = api({
      pdf: vi.fn(async () => {
        throw new ApiError({ code: 'NO_ARREARS', message: 'x', params: { account_no: '3100000001' } })
      }),
      log: vi.fn(async () => []),
    })
    const w = await setup(a)
    expect(get(w, 'notice-load-error').text()).toBe('户号 3100000001 没有逾期未缴的电费，无须打印催缴通知单')
    expect(w.find('[data-testid="notice-print"]').exists()).toBe(false)
    await get(w, 'notice-body').trigger('keydown', { key: 'Enter' })
    expect(a.print).not.toHaveBeenCalled()
  })
})

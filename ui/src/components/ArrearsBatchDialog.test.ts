import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createI18n } from 'vue-i18n'
import ArrearsBatchDialog from './ArrearsBatchDialog.vue'
import { messages } from '@/i18n'
import type { NoticeCandidate } from '@/bindings/NoticeCandidate'
import type { NoticeFilter } from '@/bindings/NoticeFilter'
import type { NoticePreview } from '@/bindings/NoticePreview'
import type { NoticeRunStatus } from '@/bindings/NoticeRunStatus'
import type { PrintSettings } from '@/bindings/PrintSettings'
import { useSessionStore } from '@/stores/session'
import { POLL_MS, useNoticesStore } from '@/stores/notices'

function candidate(n: number): NoticeCandidate {
  return {
    account_no: `31000000${String(n).padStart(2, '0')}`,
    name: `用户${n}`,
    address: `示范市城关区人民路${n}号`,
    periods: 2,
    principal: '200.00',
    late_fee: '3.10',
    total: '203.10',
    days_overdue: 40 + n,
  }
}

const PREVIEW: NoticePreview = { count: 25, principal: '5000.00', late_fee: '77.50', total: '5077.50', first: [candidate(1), candidate(2), candidate(3)] }

const DEFAULT_FILTER: NoticeFilter = {
  address_prefix: null,
  category: null,
  billing_mode: null,
  min_owed: null,
  min_days_overdue: null,
  skip_notified_days: 30,
}

function status(state: NoticeRunStatus['state'], printed: number, over: Partial<NoticeRunStatus> = {}): NoticeRunStatus {
  return {
    run: 7,
    state,
    selected: 25,
    printed,
    started_at: '2026-03-02T10:00:00+08:00',
    finished_at: state === 'running' ? null : '2026-03-02T10:00:09+08:00',
    error_code: null,
    error_message: null,
    error_params: {},
    ...over,
  }
}

function setupStore() {
  const notices = useNoticesStore()
  const api = {
    preview: vi.fn(async () => PREVIEW),
    pdf: vi.fn(async (accountNo: string) => ({ account_no: accountNo, total: '203.10', pdf_base64: 'JVBERi0=' })),
    print: vi.fn(),
    start: vi.fn(async () => status('running', 0)),
    status: vi.fn(async () => status('done', 25)),
    cancel: vi.fn(async () => status('running', 10)),
    log: vi.fn(async () => []),
    printSettings: vi.fn(async (): Promise<PrintSettings> => ({ printer: 'counter-test', paper: 'a4' })),
  }
  Object.assign(notices.api, api)
  return { notices, api }
}

async function setup() {
  const w = mount(ArrearsBatchDialog, {
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

beforeEach(() => {
  setActivePinia(createPinia())
  const session = useSessionStore()
  session.token = 'tok'
  session.user = { username: 'super1', display_name: '王值班', role: 'supervisor' }
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
})
afterEach(() => {
  useNoticesStore().clear()
  vi.useRealTimers()
  document.body.innerHTML = ''
})

describe('ArrearsBatchDialog (Shift+F4 催费)', () => {
  it('answers the filters at once: count, totals, the first accounts', async () => {
    const { api } = setupStore()
    const w = await setup()
    expect(api.preview).toHaveBeenCalledWith(DEFAULT_FILTER)
    expect(get(w, 'arrears-summary-text').text()).toBe('共 25 户，欠费本金 5,000.00 元，违约金 77.50 元，合计 5,077.50 元')
    expect(w.findAll('[data-testid="arrears-row"]').map((r) => r.attributes('data-account'))).toEqual(['3100000001', '3100000002', '3100000003'])
    expect(document.activeElement).toBe(get(w, 'arrears-address').element)
    expect(get(w, 'arrears-print').text()).toBe('打印 25 份')
  })

  it('asks again 300 ms after the last key, once', async () => {
    const { api } = setupStore()
    const w = await setup()
    await get(w, 'arrears-address').setValue('示范市')
    await vi.advanceTimersByTimeAsync(100)
    await get(w, 'arrears-address').setValue('示范市城关区')
    await get(w, 'arrears-category').setValue('residential')
    await vi.advanceTimersByTimeAsync(299)
    expect(api.preview).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    await flushPromises()
    expect(api.preview).toHaveBeenCalledTimes(2)
    expect(api.preview).toHaveBeenLastCalledWith({ ...DEFAULT_FILTER, address_prefix: '示范市城关区', category: 'residential' })
  })

  it('a wrong amount or count of days is said at its field, and the core is not asked', async () => {
    const { api } = setupStore()
    const w = await setup()
    await get(w, 'arrears-min-owed').setValue('12.345')
    await vi.advanceTimersByTimeAsync(400)
    expect(get(w, 'arrears-min-owed-error').text()).toBe('欠费金额最多两位小数（精确到分）')
    await get(w, 'arrears-min-owed').setValue('')
    await get(w, 'arrears-skip-days').setValue('三十')
    await vi.advanceTimersByTimeAsync(400)
    expect(get(w, 'arrears-skip-days-error').text()).toBe('请输入 0–3650 之间的整数天数')
    expect(api.preview).toHaveBeenCalledTimes(1)
    expect(get(w, 'arrears-print').attributes('disabled')).toBeDefined()
  })

  it('↓ Enter on the list previews that account\'s notice', async () => {
    const { api } = setupStore()
    const w = await setup()
    await get(w, 'arrears-list').trigger('keydown', { key: 'ArrowDown' })
    await get(w, 'arrears-list').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(api.pdf).toHaveBeenCalledWith('3100000002')
    expect(w.text()).toContain('通知单预览：3100000002，应缴 203.10 元')
  })

  it('打印 names the count and the printer; Esc goes back without printing; 确定 starts and the bar follows to the end', async () => {
    const { api } = setupStore()
    api.status.mockResolvedValueOnce(status('running', 10)).mockResolvedValueOnce(status('done', 25))
    const w = await setup()
    await get(w, 'arrears-print').trigger('click')
    await flushPromises()
    expect(get(w, 'arrears-confirm-text').text()).toBe('将打印 25 份催缴通知单到打印机 counter-test，确定？')
    expect(document.activeElement).toBe(get(w, 'arrears-confirm-yes').element)
    await get(w, 'arrears-dialog').trigger('keydown', { key: 'Escape' })
    await flushPromises()
    expect(w.find('[data-testid="arrears-confirm"]').exists()).toBe(false)
    expect(w.emitted('close')).toBeUndefined()
    expect(api.start).not.toHaveBeenCalled()

    await get(w, 'arrears-print').trigger('click')
    await flushPromises()
    await get(w, 'arrears-confirm-yes').trigger('click')
    await flushPromises()
    expect(api.start).toHaveBeenCalledWith(DEFAULT_FILTER, 50)
    expect(get(w, 'arrears-run-state').text()).toBe('正在打印：已打印 0 / 25 份')
    await vi.advanceTimersByTimeAsync(POLL_MS)
    await flushPromises()
    expect(get(w, 'arrears-progress').attributes('data-printed')).toBe('10')
    expect(get(w, 'arrears-progress').find('.bar').attributes('style')).toContain('width: 40%')
    await vi.advanceTimersByTimeAsync(POLL_MS)
    await flushPromises()
    expect(get(w, 'arrears-progress').attributes('data-state')).toBe('done')
    expect(get(w, 'arrears-run-state').text()).toBe('完成：已打印 25 份，已记入催费记录')
    expect(api.preview).toHaveBeenCalledTimes(2) // asked again: the skip rule now leaves them out
  })

  it('取消 stops after the PDF in hand: what was printed is said, and what was not', async () => {
    const { api } = setupStore()
    api.status.mockResolvedValue(status('cancelled', 10))
    const w = await setup()
    await get(w, 'arrears-print').trigger('click')
    await flushPromises()
    await get(w, 'arrears-confirm-yes').trigger('click')
    await flushPromises()
    await get(w, 'arrears-cancel').trigger('click')
    await flushPromises()
    expect(api.cancel).toHaveBeenCalledWith(7)
    expect(get(w, 'arrears-run-state').text()).toBe('正在取消：当前这份 PDF 送出后停止（已打印 10 / 25 份）')
    expect(get(w, 'arrears-cancel').attributes('disabled')).toBeDefined()
    await vi.advanceTimersByTimeAsync(POLL_MS)
    await flushPromises()
    expect(get(w, 'arrears-run-state').text()).toBe('已取消：已打印 10 份，已记入催费记录；其余 15 户未打印、未记录')
  })

  it('a failed run says why in words', async () => {
    const { api } = setupStore()
    api.start.mockResolvedValue(status('failed', 50, { error_code: 'PRINT_SPOOL_FAILED', error_message: 'lp: no such queue' }))
    const w = await setup()
    await get(w, 'arrears-print').trigger('click')
    await flushPromises()
    await get(w, 'arrears-confirm-yes').trigger('click')
    await flushPromises()
    const words = get(w, 'arrears-run-state').text()
    expect(words).toContain('失败：打印机拒绝了打印任务')
    expect(words).toContain('已打印 50 份')
    expect(words).not.toContain('lp: no such queue')
  })

  it("a failed run's error says its values (the spooler's timeout in seconds)", async () => {
    const { api } = setupStore()
    api.start.mockResolvedValue(
      status('failed', 50, {
        error_code: 'PRINT_SPOOL_TIMEOUT',
        error_message: 'the spooler did not take the job within 30 s',
        error_params: { seconds: '30' },
      }),
    )
    const w = await setup()
    await get(w, 'arrears-print').trigger('click')
    await flushPromises()
    await get(w, 'arrears-confirm-yes').trigger('click')
    await flushPromises()
    const words = get(w, 'arrears-run-state').text()
    expect(words).toContain('打印服务 30 秒内没有接收打印任务')
    expect(words).not.toContain('{seconds}')
    expect(words).toContain('已打印 50 份')
  })

  it('notices per print job: 1–500, sent with the batch', async () => {
    const { api } = setupStore()
    const w = await setup()
    await get(w, 'arrears-per-pdf').setValue('0')
    await get(w, 'arrears-print').trigger('click')
    await flushPromises()
    expect(get(w, 'arrears-per-pdf-error').text()).toBe('每个打印任务 1–500 份')
    expect(api.printSettings).not.toHaveBeenCalled()
    await get(w, 'arrears-per-pdf').setValue('５')
    await get(w, 'arrears-print').trigger('click')
    await flushPromises()
    await get(w, 'arrears-confirm-yes').trigger('click')
    await flushPromises()
    expect(api.start).toHaveBeenCalledWith(DEFAULT_FILTER, 5)
  })

  it('no printer set: said at once, nothing asked or started', async () => {
    const { api } = setupStore()
    api.printSettings.mockResolvedValue({ printer: null, paper: 'a4' })
    const w = await setup()
    await get(w, 'arrears-print').trigger('click')
    await flushPromises()
    expect(get(w, 'arrears-start-error').text()).toBe('未设置打印机：请值班长在设置中选择打印机')
    expect(w.find('[data-testid="arrears-confirm"]').exists()).toBe(false)
    expect(api.start).not.toHaveBeenCalled()
  })

  it('after a batch, its notices are listed in 催费记录 by its run', async () => {
    const { api } = setupStore()
    api.start.mockResolvedValue(status('done', 25))
    const w = await setup()
    await get(w, 'arrears-print').trigger('click')
    await flushPromises()
    await get(w, 'arrears-confirm-yes').trigger('click')
    await flushPromises()
    await get(w, 'arrears-run-log').trigger('click')
    await flushPromises()
    expect(api.log).toHaveBeenCalledWith({ run: 7, limit: 200 })
    expect(get(w, 'notice-log-heading').text()).toBe('第 7 批的催缴通知单（0 份）')
  })
})

import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import RefundRequestView from './RefundRequestView.vue'
import ApprovalDialog from './ApprovalDialog.vue'
import { messages } from '@/i18n'
import type { PrintedDocument } from '@/bindings/PrintedDocument'
import type { RefundInfo } from '@/bindings/RefundInfo'
import { ApiError } from '@/api/call'
import type { CounterRefundsApi } from '@/stores/refunds'
import { REFUND_INFO } from '@/testing/refunds'

type Api = Pick<CounterRefundsApi, 'decide' | 'pdf' | 'print'>

const APPROVED: RefundInfo = {
  ...REFUND_INFO,
  state: 'hall_approved',
  hall_by: '王建国',
  hall_at: '2026-03-02 09:40:00',
  history: [...REFUND_INFO.history, { at: '2026-03-02 09:40:00', actor: 'super1', step: 'hall_approve', state: 'hall_approved', note: null }],
}

function api(over: Partial<Api> = {}): Api {
  return {
    decide: vi.fn(async () => APPROVED),
    pdf: vi.fn(async (no: string, doc: string) => ({ title: `${doc === 'form' ? '退费申请单' : '退费通知单'} ${no}`, pdf_base64: 'JVBERi0=' })),
    print: vi.fn(async (no: string, doc: string): Promise<PrintedDocument> => ({
      title: `${doc === 'form' ? '退费申请单' : '退费通知单'} ${no}`,
      printer: 'counter-test',
    })),
    ...over,
  }
}

function setup(request: RefundInfo, a: Api = api(), printForm = false) {
  return mount(RefundRequestView, {
    props: { request, api: a, printForm },
    global: {
      plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })],
      stubs: { ReceiptPreview: { props: ['pdf', 'busy'], template: '<div data-testid="receipt-preview" :data-pdf="pdf" />' } },
    },
    attachTo: document.body,
  })
}

type W = ReturnType<typeof setup>
const get = (w: W, id: string) => w.get(`[data-testid="${id}"]`)
async function key(w: W, k: string) {
  await get(w, 'refund-request').trigger('keydown', { key: k })
  await flushPromises()
}

afterEach(() => {
  document.body.innerHTML = ''
})

describe('RefundRequestView', () => {
  it('shows the request with the masked account, the state and its history', () => {
    const w = setup(REFUND_INFO)
    expect(get(w, 'refund-request-no').text()).toBe('DEMO-01-TF-2026-000002')
    expect(get(w, 'refund-state').text()).toBe('待营业厅审核')
    expect(get(w, 'refund-account-masked').text()).toBe('6222 **** **** 0123')
    expect(get(w, 'refund-amount').text()).toBe('500.00')
    expect(w.text()).toContain('人民币伍佰元整')
    expect(w.findAll('[data-testid="refund-history-row"]').map((r) => r.text())).toEqual(['2026-03-02 09:30:00cashier1受理申请待营业厅审核'])
    expect(w.find('[data-testid="refund-overdue"]').exists()).toBe(false)
    expect(document.activeElement).toBe(get(w, 'refund-request').element)
  })

  it('marks an overdue request', () => {
    const w = setup({ ...REFUND_INFO, overdue: true })
    expect(get(w, 'refund-overdue').text()).toBe('逾期')
    expect(get(w, 'refund-overdue').attributes('title')).toContain('10 个工作日')
  })

  it('A asks the core, then a supervisor in the approval dialog; the decision comes back', async () => {
    const a = api({
      decide: vi
        .fn<Api['decide']>()
        .mockRejectedValueOnce({ code: 'APPROVAL_REQUIRED', message: '', params: { action: 'refund' } })
        .mockRejectedValueOnce({ code: 'APPROVAL_SELF', message: 'self', params: {} })
        .mockResolvedValueOnce(APPROVED),
    })
    const w = setup(REFUND_INFO, a)
    await key(w, 'a')
    expect(a.decide).toHaveBeenLastCalledWith({ request_no: REFUND_INFO.request_no, approve: true, reason: null, approval: null })
    const dialog = w.findComponent(ApprovalDialog)
    expect(dialog.exists()).toBe(true)
    expect(get(w, 'approval-action').text()).toBe('同意退费 DEMO-01-TF-2026-000002，500.00 元')

    // The submitter's own password: refused, said in the dialog, which stays.
    await get(w, 'approval-username').setValue('cashier1')
    await get(w, 'approval-password').setValue('Cashier#2026')
    await get(w, 'approval-password').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(get(w, 'approval-error').text()).toBe('不能为自己的操作授权，请另一位值班长授权')

    await get(w, 'approval-username').setValue('super1')
    await get(w, 'approval-password').setValue('Super#2026')
    await get(w, 'approval-password').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(a.decide).toHaveBeenLastCalledWith({
      request_no: REFUND_INFO.request_no,
      approve: true,
      reason: null,
      approval: { username: 'super1', password: 'Super#2026' },
    })
    expect(w.findComponent(ApprovalDialog).exists()).toBe(false)
    expect(get(w, 'refund-state').text()).toBe('营业厅已审核')
    expect(get(w, 'refund-hall').text()).toBe('营业厅已审核同意（王建国，2026-03-02 09:40:00）')
    expect(w.find('[data-testid="refund-hall-actions"]').exists()).toBe(false)
    expect(w.emitted('changed')).toEqual([[APPROVED]])
  })

  it('R needs a reason before anything is sent; Esc in the reason leaves the rejection only', async () => {
    const a = api({ decide: vi.fn(async () => ({ ...REFUND_INFO, state: 'hall_rejected' as const })) })
    const w = setup(REFUND_INFO, a)
    await key(w, 'r')
    expect(document.activeElement).toBe(get(w, 'refund-reject-reason').element)
    await get(w, 'refund-reject-reason').trigger('keydown', { key: 'Enter' })
    expect(get(w, 'refund-reject-missing').text()).toBe('驳回须写明原因（2–200 个字）')
    expect(a.decide).not.toHaveBeenCalled()

    const outside = vi.fn()
    document.body.addEventListener('keydown', outside)
    await get(w, 'refund-reject-reason').trigger('keydown', { key: 'Escape' })
    document.body.removeEventListener('keydown', outside)
    expect(outside).not.toHaveBeenCalled()
    expect(w.find('[data-testid="refund-reject-reason"]').exists()).toBe(false)

    await key(w, 'r')
    await get(w, 'refund-reject-reason').setValue('收款账号与户名不符')
    await get(w, 'refund-reject-reason').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(a.decide).toHaveBeenCalledWith({ request_no: REFUND_INFO.request_no, approve: false, reason: '收款账号与户名不符', approval: null })
  })

  it('a request the hall can no longer decide is said at once, without calling a supervisor', async () => {
    const a = api({
      decide: vi.fn(async () => {
        throw { code: 'REFUND_STATE', message: '', params: { state: 'hall_approved', step: 'hall_approve' } }
      }),
    })
    const w = setup(REFUND_INFO, a)
    await key(w, 'a')
    expect(w.findComponent(ApprovalDialog).exists()).toBe(false)
    expect(get(w, 'refund-decide-error').text()).toBe('这笔退费申请当前为“营业厅已审核”，不能再“营业厅同意”')
  })

  it('printForm previews the 退费申请单 and has the core print it, once; P prints it again (the core marks it 重打)', async () => {
    const a = api()
    const w = setup(REFUND_INFO, a, true)
    await flushPromises()
    expect(a.pdf).toHaveBeenCalledTimes(1)
    expect(a.pdf).toHaveBeenCalledWith('DEMO-01-TF-2026-000002', 'form')
    expect(a.print).toHaveBeenCalledTimes(1)
    expect(a.print).toHaveBeenCalledWith('DEMO-01-TF-2026-000002', 'form')
    expect(get(w, 'receipt-preview').attributes('data-pdf')).toBe('JVBERi0=')
    expect(get(w, 'refund-printed').text()).toBe('已送打印机 counter-test：退费申请单 DEMO-01-TF-2026-000002')
    expect(get(w, 'refund-print-form').text()).toContain('重打申请单')
    await key(w, 'p')
    expect(a.pdf).toHaveBeenCalledTimes(2)
    expect(a.print).toHaveBeenCalledTimes(2)
  })

  it('a doubled or held P prints once: the preview first, then one print', async () => {
    let answer: (p: PrintedDocument) => void = () => undefined
    const a = api({ print: vi.fn(() => new Promise<PrintedDocument>((r) => (answer = r))) })
    const w = setup(REFUND_INFO, a)
    await key(w, 'p')
    expect(get(w, 'refund-print-status').attributes('data-state')).toBe('busy')
    await key(w, 'p')
    await get(w, 'refund-request').trigger('keydown', { key: 'p', repeat: true })
    await get(w, 'refund-print-form').trigger('click')
    answer({ title: '退费申请单 DEMO-01-TF-2026-000002', printer: 'counter-test' })
    await flushPromises()
    expect(a.pdf).toHaveBeenCalledTimes(1)
    expect(a.print).toHaveBeenCalledTimes(1)
    expect(get(w, 'refund-print-status').attributes('data-state')).toBe('printed')
  })

  it('no printer set: said in words, the preview stays, and the form is not yet counted as printed', async () => {
    const a = api({
      print: vi.fn(async () => {
        throw new ApiError({ code: 'PRINTER_NOT_SET', message: 'no printer', params: {} })
      }),
    })
    const w = setup(REFUND_INFO, a, true)
    await flushPromises()
    expect(get(w, 'refund-print-error').text()).toBe('未能打印：未设置打印机：请值班长在设置中选择打印机')
    expect(get(w, 'refund-print-status').attributes('data-state')).toBe('failed')
    expect(get(w, 'receipt-preview').attributes('data-pdf')).toBe('JVBERi0=')
    expect(get(w, 'refund-print-form').text()).toContain('打印申请单')
    expect(get(w, 'refund-print-form').text()).not.toContain('重打')
  })

  it('the documents keep their own busy state: the next P clears a failed print, shows busy, then printed', async () => {
    let answer: (p: PrintedDocument) => void = () => undefined
    const print = vi
      .fn<Api['print']>()
      .mockRejectedValueOnce(new ApiError({ code: 'PRINTER_NOT_SET', message: 'no printer', params: {} }))
      .mockImplementationOnce(() => new Promise<PrintedDocument>((r) => (answer = r)))
    const w = setup(REFUND_INFO, api({ print }))
    await key(w, 'p')
    await flushPromises()
    const status = () => get(w, 'refund-print-status').attributes('data-state')
    expect(status()).toBe('failed')
    await key(w, 'p')
    expect(status()).toBe('busy')
    expect(w.find('[data-testid="refund-print-error"]').exists()).toBe(false)
    // The decision is not held up by a print.
    expect((get(w, 'refund-approve').element as HTMLButtonElement).disabled).toBe(false)
    await flushPromises()
    expect(get(w, 'refund-print-status').text()).toBe('正在送打印机…')
    answer({ title: '退费申请单 DEMO-01-TF-2026-000002', printer: 'counter-test' })
    await flushPromises()
    expect(status()).toBe('printed')
    expect(print).toHaveBeenCalledTimes(2)
  })

  it('opening a request prints nothing; N (the notice) only once the request is final', async () => {
    const a = api()
    const w = setup(REFUND_INFO, a)
    await flushPromises()
    expect(a.pdf).not.toHaveBeenCalled()
    await key(w, 'n')
    expect(a.pdf).not.toHaveBeenCalled()
    expect(w.find('[data-testid="refund-print-notice"]').exists()).toBe(false)

    const paid: RefundInfo = { ...APPROVED, state: 'paid', paid_amount: '500.00', payout_date: '2026-03-05', payout_ref: 'ICBC20260305001' }
    const w2 = setup(paid, a)
    expect(get(w2, 'refund-payout').text()).toBe('2026-03-05，银行流水 ICBC20260305001，金额 500.00')
    expect(w2.find('[data-testid="refund-hall-actions"]').exists()).toBe(false)
    await key(w2, 'n')
    expect(a.pdf).toHaveBeenCalledWith(paid.request_no, 'notice')
    expect(a.print).toHaveBeenCalledWith(paid.request_no, 'notice')
    expect(get(w2, 'refund-printed').text()).toBe('已送打印机 counter-test：退费通知单 DEMO-01-TF-2026-000002')
  })

  it('a document the core cannot make is said, and nothing is printed', async () => {
    const a = api({
      pdf: vi.fn(async () => {
        throw { code: 'PRINT_FONT_NOT_FOUND', message: '', params: {} }
      }),
    })
    const w = setup(REFUND_INFO, a)
    await key(w, 'p')
    expect(get(w, 'refund-doc-error').text()).toContain('找不到中文字体')
    expect(w.find('[data-testid="refund-print-error"]').exists()).toBe(false)
    expect(get(w, 'refund-print-status').attributes('data-state')).toBe('failed')
    expect(a.print).not.toHaveBeenCalled()
  })
})

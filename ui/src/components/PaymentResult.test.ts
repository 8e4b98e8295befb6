import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import PaymentResult from './PaymentResult.vue'
import { messages } from '@/i18n'
import { ApiError } from '@/api/call'
import type { PaymentDone } from '@/bindings/PaymentDone'
import type { Printed } from '@/bindings/Printed'
import type { ReceiptPdf } from '@/bindings/ReceiptPdf'

const DONE: PaymentDone = {
  receipt_no: 'DEMO-01-2026-000001',
  kind: 'payment',
  account_no: '3100000001',
  name: '王建国',
  method: 'cash',
  amount: '1680.32',
  amount_words: '人民币壹仟陆佰捌拾元零叁角贰分',
  tendered: '2000.00',
  change: '319.68',
  lines: [{ period: '202601', kind: 'principal', amount: '1680.32' }],
  late_fee_waived: '0.00',
  prepaid_after: '0.00',
  created_at: '2026-03-01 10:00:00',
  verification_code: 'AB12CD34',
  holiday_cash_due: null,
  approved_by: null,
}

const PDF: ReceiptPdf = { receipt_no: DONE.receipt_no, pdf_base64: 'JVBERi0xLjc=', copies: ['第一联 存根联', '第二联 客户联', '第三联 记账联'] }

function setup(print: (no: string) => Promise<Printed>, preview: (no: string) => Promise<ReceiptPdf> = async () => PDF) {
  return mount(PaymentResult, {
    props: { result: DONE, print, preview },
    global: {
      plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })],
      // pdf.js needs a real canvas: the preview itself is covered by the browser tests.
      stubs: { ReceiptPreview: { props: ['pdf', 'busy', 'error'], template: '<div data-testid="receipt-preview" :data-pdf="pdf">{{ error }}</div>' } },
    },
  })
}

afterEach(() => {
  document.body.innerHTML = ''
})

describe('PaymentResult prints the receipt', () => {
  it('calls print_receipt once, right after the payment, and shows the printer', async () => {
    const order: string[] = []
    const print = vi.fn(async (no: string): Promise<Printed> => {
      order.push('print')
      return { receipt_no: no, printer: 'counter-1', reprint: null }
    })
    const preview = vi.fn(async () => {
      order.push('preview')
      return PDF
    })
    const wrapper = setup(print, preview)
    await flushPromises()
    expect(print).toHaveBeenCalledTimes(1)
    expect(print).toHaveBeenCalledWith('DEMO-01-2026-000001')
    expect(order).toEqual(['preview', 'print']) // the preview on screen is the document printed
    expect(wrapper.get('[data-testid="printed-on"]').text()).toBe('已打印到 counter-1')
    expect(wrapper.find('[data-testid="reprint-count"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="receipt-preview"]').attributes('data-pdf')).toBe(PDF.pdf_base64)
    await wrapper.setProps({ result: { ...DONE } }) // a re-render prints nothing more
    await flushPromises()
    expect(print).toHaveBeenCalledTimes(1)
  })

  it('shows PRINTER_NOT_SET translated, and that the payment is recorded anyway', async () => {
    const print = vi.fn(async (): Promise<Printed> => {
      throw new ApiError({ code: 'PRINTER_NOT_SET', message: 'no printer is set', params: {} })
    })
    const wrapper = setup(print)
    await flushPromises()
    expect(print).toHaveBeenCalledTimes(1)
    const status = wrapper.get('[data-testid="print-status"]')
    expect(status.attributes('data-state')).toBe('failed')
    expect(wrapper.get('[data-testid="print-error"]').text()).toContain('未设置打印机：请值班长在设置中选择打印机')
    expect(status.text()).not.toContain('no printer is set')
    expect(wrapper.get('[data-testid="payment-kept"]').text()).toContain('已入账')
    // The result itself is still all there.
    expect(wrapper.get('[data-testid="receipt-no"]').text()).toBe(DONE.receipt_no)
    expect(wrapper.get('[data-testid="result-change"]').text()).toBe('319.68')
  })

  it('P (reprint) prints again and shows the 重打 count', async () => {
    let n = 0
    const print = vi.fn(async (no: string): Promise<Printed> => ({ receipt_no: no, printer: 'counter-1', reprint: n++ === 0 ? null : n - 1 }))
    const wrapper = setup(print)
    await flushPromises()
    await (wrapper.vm as unknown as { reprint: () => Promise<void> }).reprint()
    await flushPromises()
    expect(print).toHaveBeenCalledTimes(2)
    expect(wrapper.get('[data-testid="reprint-count"]').text()).toBe('第 1 次重打')
  })

  it('a failed preview does not stop the print', async () => {
    const print = vi.fn(async (no: string): Promise<Printed> => ({ receipt_no: no, printer: 'counter-1', reprint: null }))
    const preview = vi.fn(async (): Promise<ReceiptPdf> => {
      throw new ApiError({ code: 'PRINT_FONT_NOT_FOUND', message: '', params: {} })
    })
    const wrapper = setup(print, preview)
    await flushPromises()
    expect(print).toHaveBeenCalledTimes(1)
    expect(wrapper.get('[data-testid="receipt-preview"]').text()).toContain('找不到中文字体')
  })
})

describe('PaymentResult stays until acknowledged', () => {
  type Panel = { key: (k: string) => string }
  const panel = (w: ReturnType<typeof setup>) => w.vm as unknown as Panel
  const printedOk = async (no: string): Promise<Printed> => ({ receipt_no: no, printer: 'counter-1', reprint: null })
  const notPrinted = async (): Promise<Printed> => {
    throw new ApiError({ code: 'PRINTER_NOT_SET', message: '', params: {} })
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('ignores every key in its first second (the second Enter of a double press)', async () => {
    const print = vi.fn(printedOk)
    const wrapper = setup(print)
    await flushPromises()
    for (const k of ['Enter', 'Escape', 'F2', 'p', 'P', 'F9', 'F8']) expect(panel(wrapper).key(k), k).toBe('ignored')
    expect(print).toHaveBeenCalledTimes(1) // P did not reprint
    expect(wrapper.get('[data-testid="payment-result"]').attributes('data-armed')).toBe('false')
    vi.advanceTimersByTime(999)
    expect(panel(wrapper).key('Enter')).toBe('ignored')
    vi.advanceTimersByTime(1)
    await flushPromises()
    expect(wrapper.get('[data-testid="payment-result"]').attributes('data-armed')).toBe('true')
    expect(panel(wrapper).key('Enter')).toBe('finish')
    expect(panel(wrapper).key('Escape')).toBe('finish')
    expect(panel(wrapper).key('F2')).toBe('search')
    expect(panel(wrapper).key('F9')).toBe('other')
  })

  it('a print failure is acknowledged by the first Enter/Esc alone; a later one finishes', async () => {
    const wrapper = setup(vi.fn(notPrinted))
    await flushPromises()
    vi.advanceTimersByTime(1000)
    await flushPromises()
    const result = wrapper.get('[data-testid="payment-result"]')
    expect(result.attributes('data-print-ack')).toBe('needed')
    expect(wrapper.get('[data-testid="print-ack"]').text()).toBe('收据未打印 — 按 Enter 确认')
    expect(panel(wrapper).key('Enter')).toBe('acknowledged')
    await flushPromises()
    expect(result.attributes('data-print-ack')).toBe('no')
    expect(wrapper.find('[data-testid="print-ack"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="print-acked"]').text()).toBe('已确认收据未打印')
    // The failure itself stays on screen.
    expect(wrapper.get('[data-testid="print-error"]').text()).toContain('未设置打印机')
    expect(panel(wrapper).key('Enter')).toBe('finish')
  })

  it('Esc and F2 acknowledge a print failure too, and only that', async () => {
    for (const k of ['Escape', 'F2']) {
      const wrapper = setup(vi.fn(notPrinted))
      await flushPromises()
      vi.advanceTimersByTime(1000)
      expect(panel(wrapper).key(k), k).toBe('acknowledged')
      expect(panel(wrapper).key(k), k).toBe(k === 'F2' ? 'search' : 'finish')
      wrapper.unmount()
    }
  })

  it('a reprint that fails again needs a new acknowledgement; one that prints needs none', async () => {
    let fail = true
    const print = vi.fn(async (no: string) => {
      if (fail) return notPrinted()
      return printedOk(no)
    })
    const wrapper = setup(print)
    await flushPromises()
    vi.advanceTimersByTime(1000)
    expect(panel(wrapper).key('Enter')).toBe('acknowledged')
    expect(panel(wrapper).key('p')).toBe('reprint')
    await flushPromises()
    expect(print).toHaveBeenCalledTimes(2)
    expect(panel(wrapper).key('Enter')).toBe('acknowledged')
    fail = false
    expect(panel(wrapper).key('P')).toBe('reprint')
    await flushPromises()
    expect(wrapper.get('[data-testid="printed-on"]').text()).toBe('已打印到 counter-1')
    expect(panel(wrapper).key('Enter')).toBe('finish')
  })

  it('while the receipt is printing, Enter waits for its outcome', async () => {
    let done: (p: Printed) => void = () => undefined
    const print = vi.fn(() => new Promise<Printed>((r) => (done = r)))
    const wrapper = setup(print)
    await flushPromises()
    vi.advanceTimersByTime(1000)
    expect(wrapper.get('[data-testid="print-status"]').attributes('data-state')).toBe('printing')
    expect(panel(wrapper).key('Enter')).toBe('ignored')
    done({ receipt_no: DONE.receipt_no, printer: 'counter-1', reprint: null })
    await flushPromises()
    expect(panel(wrapper).key('Enter')).toBe('finish')
  })

  it('a spooler that does not answer holds the counter 15 s at most', async () => {
    const print = vi.fn(() => new Promise<Printed>(() => undefined))
    const wrapper = setup(print)
    await flushPromises()
    vi.advanceTimersByTime(1000)
    const now = Date.now()
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now + 14_000)
    expect(panel(wrapper).key('Enter')).toBe('ignored')
    clock.mockReturnValue(now + 15_001)
    expect(panel(wrapper).key('Enter')).toBe('finish')
    clock.mockRestore()
  })
})

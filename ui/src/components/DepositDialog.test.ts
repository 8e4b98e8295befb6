import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import DepositDialog from './DepositDialog.vue'
import { messages } from '@/i18n'
import { ApiError } from '@/api/call'
import type { DepositDone } from '@/bindings/DepositDone'
import type { DocumentPdf } from '@/bindings/DocumentPdf'
import type { DocumentRef } from '@/bindings/DocumentRef'
import type { PrintedDocument } from '@/bindings/PrintedDocument'

const DONE: DepositDone = { amount: '1200.50', bank: '中国工商银行', slip_no: 'JK0003', holiday_cash_covered: '0.00' }
const SLIP: DocumentPdf = { title: '解款单 JK0003', pdf_base64: 'JVBERi0=' }

const PRINTED: PrintedDocument = { title: '解款单 JK0003', printer: 'counter-test' }

async function setup(
  slip: (no: string, bank: string | null) => Promise<DocumentPdf> = vi.fn(async () => SLIP),
  print: (d: DocumentRef) => Promise<PrintedDocument> = vi.fn(async () => PRINTED),
) {
  const submit = vi.fn(async () => DONE)
  const w = mount(DepositDialog, {
    props: { submit, slip, print },
    global: { plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })], stubs: { ReceiptPreview: true } },
    attachTo: document.body,
  })
  await w.get('[data-testid="deposit-amount"]').setValue('1200.50')
  await w.get('[data-testid="deposit-bank"]').setValue('中国工商银行')
  await w.get('[data-testid="deposit-slip"]').setValue('JK0003')
  await w.get('[data-testid="deposit-slip"]').trigger('keydown', { key: 'Enter' })
  await flushPromises()
  return { w, submit, slip, print }
}

afterEach(() => {
  document.body.innerHTML = ''
})

describe('DepositDialog (F10 解款)', () => {
  it('the recorded deposit shows its 解款单; P has the core print it, once for a doubled P; Enter finishes', async () => {
    let answer: (p: PrintedDocument) => void = () => undefined
    const { w, submit, slip, print } = await setup(undefined, vi.fn(() => new Promise<PrintedDocument>((r) => (answer = r))))
    expect(submit).toHaveBeenCalledWith({ amount: '1200.50', bank: '中国工商银行', slip_no: 'JK0003' })
    expect(slip).toHaveBeenCalledWith('JK0003', '中国工商银行')
    const done = w.get('[data-testid="deposit-done"]')
    expect(document.activeElement).toBe(done.element)
    await done.trigger('keydown', { key: 'p' })
    await done.trigger('keydown', { key: 'p' }) // again while it prints
    await done.trigger('keydown', { key: 'P', repeat: true })
    answer(PRINTED)
    await flushPromises()
    expect(print).toHaveBeenCalledTimes(1)
    expect(print).toHaveBeenCalledWith({ kind: 'deposit_slip', slip_no: 'JK0003', bank: '中国工商银行' })
    expect(w.get('[data-testid="deposit-slip-printed"]').text()).toBe('已送打印机 counter-test：解款单 JK0003')
    expect(w.emitted('done')).toBeUndefined()
    await done.trigger('keydown', { key: 'Enter' })
    expect(w.emitted('done')).toEqual([[DONE]])
  })

  it('a slip that cannot be made leaves the deposit recorded, and says where to print it later', async () => {
    const { w } = await setup(
      vi.fn(async () => {
        throw new ApiError({ code: 'PRINT_FONT_NOT_FOUND', message: 'x', params: {} })
      }),
    )
    expect(w.get('[data-testid="deposit-done"]').text()).toContain('已解款 1,200.50')
    expect(w.get('[data-testid="deposit-slip-error"]').text()).toMatch(/^解款已记录，但解款单暂时无法生成：找不到中文字体/)
  })

  it('a slip the printer did not take is said in words; the deposit stands and the slip stays', async () => {
    const { w } = await setup(
      undefined,
      vi.fn(async () => {
        throw new ApiError({ code: 'PRINT_SPOOL_TIMEOUT', message: 'x', params: { seconds: '30' } })
      }),
    )
    const done = w.get('[data-testid="deposit-done"]')
    await done.trigger('keydown', { key: 'p' })
    await flushPromises()
    expect(w.get('[data-testid="deposit-print-error"]').text()).toMatch(/^未能打印：打印服务 30 秒内没有接收打印任务/)
    expect(done.text()).toContain('已解款 1,200.50')
  })
})

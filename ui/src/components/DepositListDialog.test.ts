import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import DepositListDialog from './DepositListDialog.vue'
import { messages } from '@/i18n'
import { ApiError } from '@/api/call'
import type { DepositInfo } from '@/bindings/DepositInfo'
import type { DocumentPdf } from '@/bindings/DocumentPdf'
import type { DocumentRef } from '@/bindings/DocumentRef'
import type { PrintedDocument } from '@/bindings/PrintedDocument'

const BASE: DepositInfo = {
  slip_no: 'JK0003',
  bank: '中国工商银行',
  amount: '1200.50',
  from_drawer: '1200.50',
  deposited_at: '2026-03-04 16:40:00',
  deposited_by: '张丽',
  in_transit: true,
  confirmed_at: null,
  confirmed_by: null,
  reference: null,
  overdue: false,
}
const OVERDUE: DepositInfo = { ...BASE, slip_no: 'JK0002', amount: '800.00', from_drawer: '300.00', deposited_at: '2026-02-27 16:30:00', overdue: true }
const CONFIRMED: DepositInfo = {
  ...BASE,
  slip_no: 'JK0001',
  amount: '500.00',
  from_drawer: '500.00',
  in_transit: false,
  confirmed_at: '2026-02-26 10:00:00',
  confirmed_by: 'statement',
  reference: 'ICBC20260226001',
}

const SLIP: DocumentPdf = { title: '解款单 JK0002', pdf_base64: 'JVBERi0=' }

async function setup(
  list = vi.fn(async (inTransit: boolean) => (inTransit ? [BASE, OVERDUE] : [BASE, OVERDUE, CONFIRMED])),
  slip = vi.fn(async (_no: string, _bank: string | null) => SLIP),
  print = vi.fn(async (_doc: DocumentRef): Promise<PrintedDocument> => ({ title: '解款单 JK0002', printer: 'counter-test' })),
) {
  const w = mount(DepositListDialog, {
    props: { list, slip, print },
    global: { plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })], stubs: { ReceiptPreview: true } },
    attachTo: document.body,
  })
  await flushPromises()
  return { w, list, slip, print }
}

afterEach(() => {
  document.body.innerHTML = ''
})

describe('DepositListDialog (Shift+F10 解款记录)', () => {
  it('says where each deposit stands: in transit, overdue (marked), confirmed by whom', async () => {
    const { w, list } = await setup()
    expect(list).toHaveBeenCalledWith(false)
    const rows = w.findAll('[data-testid="deposit-row"]')
    expect(rows.map((r) => [r.attributes('data-slip'), r.attributes('data-state'), r.get('[data-testid="deposit-state"]').text()])).toEqual([
      ['JK0003', 'transit', '在途'],
      ['JK0002', 'overdue', '逾期未确认'],
      ['JK0001', 'confirmed', '已确认（银行对账单匹配，2026-02-26 10:00:00）'],
    ])
    expect(rows[1]!.classes()).toContain('late')
    expect(rows[1]!.text()).toContain('其中钱箱 300.00')
    expect(rows[2]!.text()).toContain('银行流水 ICBC20260226001')
    // 1200.50 + 800.00, exactly.
    expect(w.get('[data-testid="deposits-transit-sum"]').text()).toBe('在途 2 笔，合计 2,000.50 元；其中 1 笔逾期未确认，请联系账务中心核实')
    expect(document.activeElement).toBe(w.get('[data-testid="deposits-list"]').element)
  })

  it('只看在途 asks the core for those only; a finance user who confirmed is named', async () => {
    const list = vi.fn(async () => [{ ...CONFIRMED, confirmed_by: 'finance1' }])
    const { w } = await setup(list)
    expect(w.get('[data-testid="deposit-state"]').text()).toBe('已确认（finance1，2026-02-26 10:00:00）')
    expect(w.get('[data-testid="deposits-transit-sum"]').text()).toBe('在途 0 笔，合计 0.00 元')
    list.mockResolvedValueOnce([])
    await w.get('[data-testid="deposits-in-transit"]').setValue(true)
    await flushPromises()
    expect(list).toHaveBeenLastCalledWith(true)
    expect(w.get('[data-testid="deposits-empty"]').text()).toBe('没有在途的解款')
  })

  it('Enter shows the chosen deposit\'s 解款单, P has the core print it (once for a doubled P)', async () => {
    let answer: (p: PrintedDocument) => void = () => undefined
    const { w, slip, print } = await setup(undefined, undefined, vi.fn(() => new Promise<PrintedDocument>((r) => (answer = r))))
    const list = w.get('[data-testid="deposits-list"]')
    await list.trigger('keydown', { key: 'ArrowDown' })
    await list.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(slip).toHaveBeenCalledWith('JK0002', null)
    expect(w.get('[data-testid="deposit-slip"]').text()).toContain('解款单 JK0002')
    await list.trigger('keydown', { key: 'p' })
    await list.trigger('keydown', { key: 'p' }) // again while it prints
    await list.trigger('keydown', { key: 'p', repeat: true })
    answer({ title: '解款单 JK0002', printer: 'counter-test' })
    await flushPromises()
    expect(slip).toHaveBeenCalledTimes(1)
    expect(print).toHaveBeenCalledTimes(1)
    expect(print).toHaveBeenCalledWith({ kind: 'deposit_slip', slip_no: 'JK0002', bank: null })
    expect(w.get('[data-testid="deposit-slip-printed"]').text()).toBe('已送打印机 counter-test：解款单 JK0002')
  })

  it('no printer set: said in words, the slip stays on screen', async () => {
    const { w } = await setup(
      undefined,
      undefined,
      vi.fn(async () => {
        throw new ApiError({ code: 'PRINTER_NOT_SET', message: 'no printer', params: {} })
      }),
    )
    await w.get('[data-testid="deposits-list"]').trigger('keydown', { key: 'P' })
    await flushPromises()
    expect(w.get('[data-testid="deposit-print-error"]').text()).toBe('未能打印：未设置打印机：请值班长在设置中选择打印机')
    expect(w.find('[data-testid="deposit-slip-printed"]').exists()).toBe(false)
    expect(w.find('[data-testid="deposit-slip"]').exists()).toBe(true)
  })

  it('P on a deposit not shown fetches its slip first; slips of two banks with one number name the bank', async () => {
    const other: DepositInfo = { ...BASE, bank: '中国农业银行' }
    const { w, slip, print } = await setup(vi.fn(async () => [BASE, other]))
    await w.get('[data-testid="deposits-list"]').trigger('keydown', { key: 'P' })
    await flushPromises()
    expect(slip).toHaveBeenCalledWith('JK0003', '中国工商银行')
    expect(print).toHaveBeenCalledTimes(1)
    expect(print).toHaveBeenCalledWith({ kind: 'deposit_slip', slip_no: 'JK0003', bank: '中国工商银行' })
  })

  it('a refusal is said in words; Esc closes', async () => {
    const list = vi.fn(async () => {
      throw new ApiError({ code: 'FORBIDDEN', message: 'x', params: {} })
    })
    const { w } = await setup(list)
    expect(w.get('[data-testid="deposits-error"]').text()).toBe('当前角色无权进行此操作，请联系值班长或管理员')
    await w.get('[data-testid="deposits-in-transit"]').trigger('keydown', { key: 'Escape' })
    expect(w.emitted('close')).toHaveLength(1)
  })
})

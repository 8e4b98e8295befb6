import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import FinanceRefundDetail from './FinanceRefundDetail.vue'
import { messages } from '@/i18n'
import type { RefundDetail } from '@/bindings/RefundDetail'
import type { FinanceApi } from '@/stores/finance'

const AT_LEDGER: RefundDetail = {
  summary: {
    refund_id: '01a24d4a-5dd4-7725-a885-8f3e1147e55e',
    request_no: 'DEMO-01-TF-2026-000001',
    terminal: 'DEMO-01',
    account_no: '3100000045',
    account_name: '杨军',
    amount: '800.00',
    reason: 'duplicate',
    state: 'at_ledger',
    submitted_at: '2026-03-02T09:30:00+08:00',
    submitted_by: 'cashier1',
    payee_name: '杨小军',
    payee_account_masked: '6222 **** **** 0123',
    overdue: true,
  },
  reason_text: null,
  payee_bank: '中国工商银行',
  payee_branch: '示范市城关支行',
  payee_reason: '持授权委托书代领',
  docs: { id_card: true, original_receipt: true, closure_form: false },
  duplicate_of: 'DEMO-01-2026-000007',
  hall_by: 'super1',
  hall_at: '2026-03-02T09:40:00+08:00',
  finance_by: null,
  finance_at: null,
  finance_reason: null,
  paid_amount: null,
  payout_date: null,
  payout_ref: null,
  account_balance: '1395.99',
  account_held: '800.00',
  flag: null,
  history: [
    { at: '2026-03-02T09:30:00+08:00', actor: 'cashier1', step: 'submit', state: 'submitted', note: null },
    { at: '2026-03-02T09:40:00+08:00', actor: 'super1', step: 'hall_approve', state: 'hall_approved', note: null },
    { at: '2026-03-02T09:41:00+08:00', actor: 'ledger', step: 'receive', state: 'at_ledger', note: null },
  ],
}
const APPROVED: RefundDetail = {
  ...AT_LEDGER,
  summary: { ...AT_LEDGER.summary, state: 'finance_approved' },
  finance_by: 'finance2',
  finance_at: '2026-03-03T10:15:00+08:00',
}

function api(over: Partial<FinanceApi> = {}): FinanceApi {
  return {
    list: vi.fn(),
    detail: vi.fn(async () => APPROVED),
    decide: vi.fn(async () => APPROVED),
    pay: vi.fn(async () => ({ ...APPROVED, summary: { ...APPROVED.summary, state: 'paid' as const } })),
    ...over,
  }
}

function setup(detail: RefundDetail, a: FinanceApi = api(), canAct = true) {
  return mount(FinanceRefundDetail, {
    props: { detail, api: a, canAct, today: '2026-03-05' },
    global: { plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })] },
    attachTo: document.body,
  })
}
type W = ReturnType<typeof setup>
const get = (w: W, id: string) => w.get(`[data-testid="${id}"]`)

afterEach(() => {
  document.body.innerHTML = ''
})

describe('FinanceRefundDetail', () => {
  it('shows what the counter sent (masked), the account at the ledger, overdue, and the history', () => {
    const w = setup(AT_LEDGER)
    expect(get(w, 'finance-state').text()).toBe('待财务复核')
    expect(get(w, 'finance-overdue').text()).toBe('逾期')
    expect(get(w, 'finance-account-masked').text()).toBe('6222 **** **** 0123')
    expect(get(w, 'finance-docs').text()).toBe('身份证、原缴费凭证')
    expect(get(w, 'finance-duplicate').text()).toBe('DEMO-01-2026-000007')
    expect(w.text()).toContain('持授权委托书代领')
    expect(get(w, 'finance-balance').text()).toBe('1,395.99')
    expect(get(w, 'finance-held').text()).toBe('800.00')
    expect(get(w, 'finance-hall').text()).toBe('super1 2026-03-02 09:40')
    expect(w.findAll('[data-testid="finance-history-row"]').map((r) => r.text())).toEqual([
      '2026-03-02 09:30cashier1受理申请待营业厅审核',
      '2026-03-02 09:40super1营业厅同意营业厅已审核',
      '2026-03-02 09:41ledger账务中心接收待财务复核',
    ])
  })

  it('approves; a rejection needs its reason', async () => {
    const a = api()
    const w = setup(AT_LEDGER, a)
    await get(w, 'finance-reject').trigger('click')
    await flushPromises()
    await get(w, 'finance-reject-reason').trigger('keydown', { key: 'Enter' })
    expect(get(w, 'finance-reject-missing').text()).toBe('驳回须写明原因')
    expect(a.decide).not.toHaveBeenCalled()
    await get(w, 'finance-reject-reason').setValue('收款人与户名不符且无委托书原件')
    await get(w, 'finance-reject-reason').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(a.decide).toHaveBeenCalledWith(AT_LEDGER.summary.refund_id, false, '收款人与户名不符且无委托书原件')

    const w2 = setup(AT_LEDGER, a)
    await get(w2, 'finance-approve').trigger('click')
    await flushPromises()
    expect(a.decide).toHaveBeenLastCalledWith(AT_LEDGER.summary.refund_id, true, null)
    expect(get(w2, 'finance-state').text()).toBe('财务已复核，待付款')
    expect(get(w2, 'finance-done').text()).toBe('已复核同意')
    expect(w2.emitted('changed')).toEqual([[APPROVED]])
  })

  it('another reviewer first: the ledger\'s message says who did what, and the request is read again', async () => {
    const message = 'finance2 approved request DEMO-01-TF-2026-000001 at 2026-03-03T10:15:00+08:00; nothing was changed'
    const a = api({
      decide: vi.fn(async () => {
        throw { code: 'FINANCE_REFUSED', message: 'conflict', params: { ledger_code: 'CONFLICT', message } }
      }),
    })
    const w = setup(AT_LEDGER, a)
    await get(w, 'finance-approve').trigger('click')
    await flushPromises()
    expect(get(w, 'finance-error').text()).toBe(`另一位复核人已先处理了这笔申请：${message}`)
    expect(a.detail).toHaveBeenCalledWith(AT_LEDGER.summary.refund_id)
    expect(get(w, 'finance-state').text()).toBe('财务已复核，待付款')
    expect(get(w, 'finance-decision').text()).toContain('finance2')
  })

  it('one\'s own request (submitted or approved at a hall) is refused in words', async () => {
    const a = api({
      decide: vi.fn(async () => {
        throw { code: 'FINANCE_REFUSED', message: '', params: { ledger_code: 'REFUND_OWN', message: 'nobody reviews...' } }
      }),
    })
    const w = setup(AT_LEDGER, a)
    await get(w, 'finance-approve').trigger('click')
    await flushPromises()
    expect(get(w, 'finance-error').text()).toBe('不能复核自己受理或在营业厅审核过的退费申请：请另一位财务人员复核')
  })

  it('the payout: today and the approved amount proposed; another amount is refused before sending', async () => {
    const a = api()
    const w = setup(APPROVED, a)
    expect(w.find('[data-testid="finance-decide"]').exists()).toBe(false)
    expect((get(w, 'finance-pay-date').element as HTMLInputElement).value).toBe('2026-03-05')
    expect((get(w, 'finance-pay-amount').element as HTMLInputElement).value).toBe('800.00')
    await get(w, 'finance-pay-submit').trigger('click')
    expect(get(w, 'finance-pay-ref-error').text()).toBe('请填写银行流水号')
    await get(w, 'finance-pay-ref').setValue('ICBC20260305001')
    await get(w, 'finance-pay-amount').setValue('799.00')
    await get(w, 'finance-pay-amount').trigger('keydown', { key: 'Enter' })
    expect(get(w, 'finance-pay-amount-error').text()).toBe('实付金额必须等于批准金额 800.00')
    expect(a.pay).not.toHaveBeenCalled()
    await get(w, 'finance-pay-amount').setValue('800.00')
    await get(w, 'finance-pay-amount').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(a.pay).toHaveBeenCalledWith(APPROVED.summary.refund_id, { payout_date: '2026-03-05', bank_ref: 'ICBC20260305001', amount: '800.00' })
    expect(get(w, 'finance-state').text()).toBe('已付款')
    expect(get(w, 'finance-done').text()).toBe('已登记付款')
  })

  it('an auditor sees everything and no action', () => {
    const w = setup(AT_LEDGER, api(), false)
    expect(w.find('[data-testid="finance-approve"]').exists()).toBe(false)
    expect(w.find('[data-testid="finance-reject"]').exists()).toBe(false)
    const w2 = setup(APPROVED, api(), false)
    expect(w2.find('[data-testid="finance-pay"]').exists()).toBe(false)
  })

  it('a flag is shown; Esc goes back to the list', async () => {
    const w = setup({ ...AT_LEDGER, flag: 'more than the balance at the ledger (500.00)' })
    expect(get(w, 'finance-flag').text()).toContain('more than the balance')
    await get(w, 'finance-detail').trigger('keydown', { key: 'Escape' })
    expect(w.emitted('back')).toHaveLength(1)
  })
})

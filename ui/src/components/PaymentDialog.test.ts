import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import PaymentDialog from './PaymentDialog.vue'
import ApprovalDialog from './ApprovalDialog.vue'
import { messages } from '@/i18n'
import type { PaymentDone } from '@/bindings/PaymentDone'
import type { PaymentInput } from '@/stores/payment'

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

function i18n() {
  return createI18n({ legacy: false, locale: 'zh-CN', messages })
}

function setup(props: Partial<InstanceType<typeof PaymentDialog>['$props']> & { submit: (i: PaymentInput) => Promise<PaymentDone> }) {
  return mount(PaymentDialog, {
    props: { kind: 'payment', method: 'cash', proposed: '1680.32', today: '2026-03-01', ...props },
    global: { plugins: [i18n()] },
    attachTo: document.body,
  })
}

afterEach(() => {
  document.body.innerHTML = ''
})

describe('PaymentDialog (F5 cash)', () => {
  it('proposes the total, focuses 实收 and shows the 大写 of the amount', () => {
    const wrapper = setup({ submit: vi.fn() })
    expect((wrapper.get('[data-testid="pay-amount"]').element as HTMLInputElement).value).toBe('1680.32')
    expect(document.activeElement).toBe(wrapper.get('[data-testid="pay-tendered"]').element)
    expect(wrapper.get('[data-testid="pay-words"]').text()).toContain('人民币壹仟陆佰捌拾元零叁角贰分')
  })

  it('updates 找零 and 大写 live as the cashier types, exactly to the fen', async () => {
    const wrapper = setup({ submit: vi.fn() })
    const change = () => wrapper.get('[data-testid="pay-change"]').text()
    expect(change()).toBe('—')
    await wrapper.get('[data-testid="pay-tendered"]').setValue('2')
    expect(wrapper.text()).toContain('实收不足')
    await wrapper.get('[data-testid="pay-tendered"]').setValue('2000')
    expect(change()).toBe('319.68')
    await wrapper.get('[data-testid="pay-amount"]').setValue('0.3')
    await wrapper.get('[data-testid="pay-tendered"]').setValue('0.5')
    expect(change()).toBe('0.20') // a float would say 0.2 or 0.19999…
    expect(wrapper.get('[data-testid="pay-words"]').text()).toContain('人民币叁角整')
    await wrapper.get('[data-testid="pay-amount"]').setValue('12.345')
    expect(wrapper.get('[data-testid="pay-amount-error"]').text()).toContain('最多两位小数')
    expect(wrapper.get('[data-testid="pay-words"]').text()).not.toContain('人民币')
  })

  it('Enter in 实收 confirms with the typed amounts', async () => {
    const submit = vi.fn(async () => DONE)
    const wrapper = setup({ submit })
    await wrapper.get('[data-testid="pay-tendered"]').setValue('2000')
    await wrapper.get('[data-testid="pay-tendered"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(submit).toHaveBeenCalledWith({
      method: 'cash',
      amount: '1680.32',
      tendered: '2000',
      voucher: null,
      waive_late_fee: null,
      approval: null,
    })
    expect(wrapper.emitted('done')).toEqual([[DONE]])
  })

  it('does not submit when the tendered cash is short', async () => {
    const submit = vi.fn(async () => DONE)
    const wrapper = setup({ submit })
    await wrapper.get('[data-testid="pay-tendered"]').setValue('100')
    await wrapper.get('[data-testid="pay-tendered"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(submit).not.toHaveBeenCalled()
  })

  it('shows the core refusal translated', async () => {
    const wrapper = setup({
      submit: async () => {
        throw { code: 'SHIFT_NOT_OPEN', message: 'no shift', params: {} }
      },
    })
    await wrapper.get('[data-testid="pay-tendered"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(wrapper.get('[data-testid="payment-error"]').text()).toBe('尚未开班，请先输入备用金开班')
  })

  it('Esc cancels without reaching the counter', async () => {
    const wrapper = setup({ submit: vi.fn() })
    const behind = vi.fn()
    window.addEventListener('keydown', behind)
    await wrapper.get('[data-testid="pay-tendered"]').trigger('keydown', { key: 'Escape' })
    window.removeEventListener('keydown', behind)
    expect(wrapper.emitted('close')).toHaveLength(1)
    expect(behind).not.toHaveBeenCalled()
  })
})

describe('approval', () => {
  it('APPROVAL_REQUIRED opens the approval dialog, which resubmits the same request with the approval', async () => {
    const submit = vi
      .fn<(i: PaymentInput) => Promise<PaymentDone>>()
      .mockRejectedValueOnce({ code: 'APPROVAL_REQUIRED', message: 'needs a supervisor', params: { action: 'holiday cash' } })
      .mockRejectedValueOnce({ code: 'APPROVAL_INVALID', message: 'wrong', params: {} })
      .mockResolvedValueOnce({ ...DONE, kind: 'vend', holiday_cash_due: '2026-03-02', approved_by: '赵班长' })
    const wrapper = setup({ kind: 'vend', proposed: '', submit })
    await wrapper.get('[data-testid="pay-amount"]').setValue('5000.00')
    await wrapper.get('[data-testid="pay-amount"]').trigger('keydown', { key: 'Enter' }) // → 实收
    await wrapper.get('[data-testid="pay-tendered"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()

    const approval = wrapper.findComponent(ApprovalDialog)
    expect(approval.exists()).toBe(true)
    const user = wrapper.get('[data-testid="approval-username"]')
    const pass = wrapper.get('[data-testid="approval-password"]')
    expect((user.element as HTMLInputElement).value).toBe('') // never prefilled
    expect(pass.attributes('type')).toBe('password')
    expect(document.activeElement).toBe(user.element)

    await user.setValue('super1')
    await user.trigger('keydown', { key: 'Enter' })
    expect(document.activeElement).toBe(pass.element)
    await pass.setValue('wrong')
    await pass.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(wrapper.get('[data-testid="approval-error"]').text()).toBe('授权人用户名或密码错误')
    expect((pass.element as HTMLInputElement).value).toBe('')

    await pass.setValue('Super#2026')
    await pass.trigger('keydown', { key: 'Enter' })
    await flushPromises()

    const first = submit.mock.calls[0]![0]
    expect(first.approval).toBeNull()
    expect(submit.mock.calls[2]![0]).toEqual({ ...first, approval: { username: 'super1', password: 'Super#2026' } })
    expect(wrapper.emitted('done')?.[0]?.[0]).toMatchObject({ holiday_cash_due: '2026-03-02' })
  })

  it('a refusal that is not about the approver closes the approval and shows it in the payment dialog', async () => {
    const submit = vi
      .fn<(i: PaymentInput) => Promise<PaymentDone>>()
      .mockRejectedValueOnce({ code: 'APPROVAL_REQUIRED', message: '', params: {} })
      .mockRejectedValueOnce({ code: 'HOLIDAY_CASH_SHIFT_LIMIT', message: '', params: { limit: '20000.00' } })
    const wrapper = setup({ kind: 'vend', proposed: '', submit })
    await wrapper.get('[data-testid="pay-amount"]').setValue('100')
    await wrapper.get('[data-testid="pay-tendered"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    await wrapper.get('[data-testid="approval-username"]').setValue('super1')
    await wrapper.get('[data-testid="approval-password"]').setValue('Super#2026')
    await wrapper.get('[data-testid="approval-password"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(wrapper.findComponent(ApprovalDialog).exists()).toBe(false)
    expect(wrapper.get('[data-testid="payment-error"]').text()).toContain('20000.00')
  })

  it('Esc in the approval dialog cancels only the approval', async () => {
    const submit = vi.fn<(i: PaymentInput) => Promise<PaymentDone>>().mockRejectedValueOnce({ code: 'APPROVAL_REQUIRED', message: '', params: {} })
    const wrapper = setup({ kind: 'vend', proposed: '', submit })
    await wrapper.get('[data-testid="pay-amount"]').setValue('100')
    await wrapper.get('[data-testid="pay-tendered"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    await wrapper.get('[data-testid="approval-username"]').trigger('keydown', { key: 'Escape' })
    expect(wrapper.findComponent(ApprovalDialog).exists()).toBe(false)
    expect(wrapper.emitted('close')).toBeUndefined()
  })
})

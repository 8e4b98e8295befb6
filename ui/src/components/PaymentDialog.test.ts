import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { nextTick } from 'vue'
import { createI18n } from 'vue-i18n'
import PaymentDialog from './PaymentDialog.vue'
import ApprovalDialog from './ApprovalDialog.vue'
import TenderConfirm from './TenderConfirm.vue'
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
  it('proposes the total, focuses 实收 and shows the 大写 of the amount', async () => {
    const wrapper = setup({ submit: vi.fn() })
    await nextTick() // the dialog's content is there, and focused, a tick after it opens
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
      confirm_large: false,
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
    await wrapper.get('[data-testid="pay-tendered"]').setValue('2000')
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
    await wrapper.get('[data-testid="pay-tendered"]').trigger('keydown', { key: 'F4' }) // exactly the amount
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
    await wrapper.get('[data-testid="pay-tendered"]').setValue('100')
    await wrapper.get('[data-testid="pay-tendered"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    await wrapper.get('[data-testid="approval-username"]').setValue('super1')
    await wrapper.get('[data-testid="approval-password"]').setValue('Super#2026')
    await wrapper.get('[data-testid="approval-password"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(wrapper.findComponent(ApprovalDialog).exists()).toBe(false)
    expect(wrapper.get('[data-testid="payment-error"]').text()).toContain('20,000.00')
  })

  it('Esc in the approval dialog cancels only the approval', async () => {
    const submit = vi.fn<(i: PaymentInput) => Promise<PaymentDone>>().mockRejectedValueOnce({ code: 'APPROVAL_REQUIRED', message: '', params: {} })
    const wrapper = setup({ kind: 'vend', proposed: '', submit })
    await wrapper.get('[data-testid="pay-amount"]').setValue('100')
    await wrapper.get('[data-testid="pay-tendered"]').setValue('100')
    await wrapper.get('[data-testid="pay-tendered"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    await wrapper.get('[data-testid="approval-username"]').trigger('keydown', { key: 'Escape' })
    expect(wrapper.findComponent(ApprovalDialog).exists()).toBe(false)
    expect(wrapper.emitted('close')).toBeUndefined()
  })
})

describe('实收 is always typed (F4 for the exact amount)', () => {
  it('Enter with 实收 empty sends nothing and says what to do at the field', async () => {
    const submit = vi.fn(async () => DONE)
    const wrapper = setup({ submit })
    const tendered = wrapper.get('[data-testid="pay-tendered"]')
    await tendered.trigger('keydown', { key: 'Enter' })
    await tendered.trigger('keydown', { key: 'Enter', ctrlKey: true })
    await flushPromises()
    expect(submit).not.toHaveBeenCalled()
    expect(wrapper.get('[data-testid="pay-tendered-error"]').text()).toBe('请输入实收金额，或按 F4 按应收金额收取')
    expect(document.activeElement).toBe(tendered.element)
    await tendered.setValue('2')
    expect(wrapper.find('[data-testid="pay-tendered-error"]').exists()).toBe(false)
  })

  it('F4 types the amount due into 实收; Enter then takes it with 找零 0.00', async () => {
    const submit = vi.fn(async () => DONE)
    const wrapper = setup({ submit })
    expect(wrapper.get('[data-testid="pay-keys"]').text()).toContain('F4 实收等于应收')
    expect(wrapper.get('[data-testid="pay-exact-hint"]').text()).toBe('F4 实收等于应收')
    const tendered = wrapper.get('[data-testid="pay-tendered"]')
    await tendered.trigger('keydown', { key: 'F4' })
    await flushPromises()
    expect((tendered.element as HTMLInputElement).value).toBe('1680.32')
    expect(wrapper.get('[data-testid="pay-change"]').text()).toBe('0.00')
    expect(submit).not.toHaveBeenCalled() // F4 types; Enter confirms
    expect(document.activeElement).toBe(tendered.element)
    await tendered.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(submit).toHaveBeenCalledWith(expect.objectContaining({ amount: '1680.32', tendered: '1680.32', confirm_large: false }))
  })

  it('F4 from the amount field, after changing the amount, takes the new amount', async () => {
    const wrapper = setup({ submit: vi.fn() })
    const amount = wrapper.get('[data-testid="pay-amount"]')
    await amount.setValue('１００')
    await amount.trigger('keydown', { key: 'F4' })
    await flushPromises()
    expect((wrapper.get('[data-testid="pay-tendered"]').element as HTMLInputElement).value).toBe('100.00')
    expect(document.activeElement).toBe(wrapper.get('[data-testid="pay-tendered"]').element)
  })

  it('F4 with no valid amount points at the amount instead', async () => {
    const wrapper = setup({ submit: vi.fn(), proposed: '' })
    await wrapper.get('[data-testid="pay-tendered"]').trigger('keydown', { key: 'F4' })
    await flushPromises()
    expect((wrapper.get('[data-testid="pay-tendered"]').element as HTMLInputElement).value).toBe('')
    expect(document.activeElement).toBe(wrapper.get('[data-testid="pay-amount"]').element)
    expect(wrapper.get('[data-testid="pay-amount-error"]').text()).toContain('请输入金额')
  })

  it('全角 digits are read as digits, live and when sent', async () => {
    const submit = vi.fn(async (_: PaymentInput) => DONE)
    const wrapper = setup({ submit })
    const tendered = wrapper.get('[data-testid="pay-tendered"]')
    await tendered.setValue('２０００。００')
    expect(wrapper.get('[data-testid="pay-change"]').text()).toBe('319.68')
    expect(wrapper.find('[data-testid="pay-tendered-error"]').exists()).toBe(false)
    await tendered.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(submit.mock.calls[0]![0]).toMatchObject({ tendered: '2000.00' })
  })

  it('0.00 is no payment: said at the field, nothing sent', async () => {
    const submit = vi.fn(async () => DONE)
    const wrapper = setup({ submit, kind: 'vend', proposed: '' })
    await wrapper.get('[data-testid="pay-amount"]').setValue('0.00')
    expect(wrapper.get('[data-testid="pay-amount-error"]').text()).toBe('金额必须大于 0.00')
    await wrapper.get('[data-testid="pay-tendered"]').setValue('10')
    await wrapper.get('[data-testid="pay-tendered"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(submit).not.toHaveBeenCalled()
  })

  it('AMOUNT_ZERO and TENDERED_TOO_LARGE from the core are said in words', async () => {
    const submit = vi
      .fn<(i: PaymentInput) => Promise<PaymentDone>>()
      .mockRejectedValueOnce({ code: 'TENDERED_TOO_LARGE', message: '', params: { max: '100000.00' } })
      .mockRejectedValueOnce({ code: 'AMOUNT_ZERO', message: '', params: { field: 'amount' } })
    const wrapper = setup({ submit })
    await wrapper.get('[data-testid="pay-tendered"]').setValue('188429')
    await wrapper.get('[data-testid="pay-tendered"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(wrapper.get('[data-testid="payment-error"]').text()).toBe(
      '实收金额超过 100,000.00 元，不能收取：请核对输入（是否漏输了小数点？）',
    )
    expect(document.activeElement).toBe(wrapper.get('[data-testid="pay-tendered"]').element)
    await wrapper.get('[data-testid="pay-tendered"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(wrapper.get('[data-testid="payment-error"]').text()).toBe('金额必须大于 0.00')
    expect(document.activeElement).toBe(wrapper.get('[data-testid="pay-amount"]').element)
  })
})

describe('a large 实收 is confirmed a second time (TENDERED_CONFIRM)', () => {
  const CONFIRM = {
    code: 'TENDERED_CONFIRM',
    message: 'check the amount',
    params: {
      tendered: '18843.00',
      change: '18654.57',
      tendered_words: '人民币壹万捌仟捌佰肆拾叁元整',
      change_words: '人民币壹万捌仟陆佰伍拾肆元伍角柒分',
    },
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  async function typed(submit: (i: PaymentInput) => Promise<PaymentDone>) {
    const wrapper = setup({ submit, proposed: '188.43' })
    await wrapper.get('[data-testid="pay-tendered"]').setValue('18843') // the point forgotten
    await wrapper.get('[data-testid="pay-tendered"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    return wrapper
  }

  it('shows 实收 and 找零 in figures and 大写, as the core sent them', async () => {
    const wrapper = await typed(vi.fn<(i: PaymentInput) => Promise<PaymentDone>>().mockRejectedValueOnce(CONFIRM))
    expect(wrapper.findComponent(TenderConfirm).exists()).toBe(true)
    expect(wrapper.get('[data-testid="large-amount"]').text()).toBe('188.43')
    expect(wrapper.get('[data-testid="large-tendered"]').text()).toBe('18,843.00')
    expect(wrapper.get('[data-testid="large-tendered-words"]').text()).toBe('人民币壹万捌仟捌佰肆拾叁元整')
    expect(wrapper.get('[data-testid="large-change"]').text()).toBe('18,654.57')
    expect(wrapper.get('[data-testid="large-change-words"]').text()).toBe('人民币壹万捌仟陆佰伍拾肆元伍角柒分')
    expect(wrapper.find('[data-testid="payment-error"]').exists()).toBe(false)
  })

  it('ignores Enter for its first second (a double Enter), and a held Enter; then Enter resubmits with confirm_large', async () => {
    const submit = vi.fn<(i: PaymentInput) => Promise<PaymentDone>>().mockRejectedValueOnce(CONFIRM).mockResolvedValueOnce(DONE)
    const wrapper = await typed(submit)
    // The panel has the focus: the keys go to it.
    const panel = wrapper.get('[data-testid="tender-confirm"] [tabindex="-1"]')
    expect(document.activeElement).toBe(panel.element)
    await panel.trigger('keydown', { key: 'Enter' }) // the second Enter of a double press
    await flushPromises()
    expect(submit).toHaveBeenCalledTimes(1)
    expect((wrapper.get('[data-testid="large-confirm"]').element as HTMLButtonElement).disabled).toBe(true)
    vi.advanceTimersByTime(999)
    await panel.trigger('keydown', { key: 'Enter' })
    expect(submit).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(1)
    await flushPromises()
    await panel.trigger('keydown', { key: 'Enter', repeat: true })
    expect(submit).toHaveBeenCalledTimes(1)
    await panel.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(submit).toHaveBeenCalledTimes(2)
    expect(submit.mock.calls[1]![0]).toEqual({ ...submit.mock.calls[0]![0], confirm_large: true })
    expect(submit.mock.calls[0]![0].confirm_large).toBe(false)
    expect(wrapper.emitted('done')).toEqual([[DONE]])
  })

  it('Esc goes back to 实收 to correct it, and nothing is sent', async () => {
    const submit = vi.fn<(i: PaymentInput) => Promise<PaymentDone>>().mockRejectedValueOnce(CONFIRM).mockResolvedValueOnce(DONE)
    const wrapper = await typed(submit)
    await wrapper.get('[data-testid="tender-confirm"]').trigger('keydown', { key: 'Escape' })
    await flushPromises()
    expect(wrapper.findComponent(TenderConfirm).exists()).toBe(false)
    expect(wrapper.emitted('close')).toBeUndefined()
    expect(submit).toHaveBeenCalledTimes(1)
    const tendered = wrapper.get('[data-testid="pay-tendered"]')
    expect(document.activeElement).toBe(tendered.element)
    expect((tendered.element as HTMLInputElement).value).toBe('18843')
    await tendered.setValue('188.43')
    await tendered.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(submit.mock.calls[1]![0]).toMatchObject({ tendered: '188.43', confirm_large: false })
  })

  it('confirmed holiday cash still goes to the supervisor, confirmed', async () => {
    const submit = vi
      .fn<(i: PaymentInput) => Promise<PaymentDone>>()
      .mockRejectedValueOnce(CONFIRM)
      .mockRejectedValueOnce({ code: 'APPROVAL_REQUIRED', message: '', params: { action: 'holiday cash' } })
      .mockResolvedValueOnce(DONE)
    const wrapper = await typed(submit)
    vi.advanceTimersByTime(1000)
    await flushPromises()
    await wrapper.get('[data-testid="large-confirm"]').trigger('click')
    await flushPromises()
    expect(wrapper.findComponent(TenderConfirm).exists()).toBe(false)
    await wrapper.get('[data-testid="approval-username"]').setValue('super1')
    await wrapper.get('[data-testid="approval-password"]').setValue('Super#2026')
    await wrapper.get('[data-testid="approval-password"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(submit.mock.calls[2]![0]).toMatchObject({ confirm_large: true, approval: { username: 'super1', password: 'Super#2026' } })
  })
})

describe('F5/F6 on an account that owes nothing', () => {
  it('says so in words, proposes no amount and starts at the amount', async () => {
    const wrapper = setup({ submit: vi.fn(), proposed: '', nothingOwed: true })
    await nextTick() // the dialog's content is there, and focused, a tick after it opens
    expect(wrapper.get('[data-testid="pay-nothing-owed"]').text()).toBe('该户今日无欠费；收取的金额将全部存入预存余额')
    expect((wrapper.get('[data-testid="pay-amount"]').element as HTMLInputElement).value).toBe('')
    expect(wrapper.text()).not.toContain('0.00')
    expect(wrapper.text()).toContain('存入金额')
    expect(document.activeElement).toBe(wrapper.get('[data-testid="pay-amount"]').element)
    expect(wrapper.find('[data-testid="pay-amount-error"]').exists()).toBe(false)
  })

  it('a transfer says it too', () => {
    const wrapper = setup({ submit: vi.fn(), method: 'transfer', proposed: '', nothingOwed: true })
    expect(wrapper.get('[data-testid="pay-nothing-owed"]').text()).toContain('预存余额')
  })
})

import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import RefundDialog from './RefundDialog.vue'
import { messages } from '@/i18n'
import type { RefundContext } from '@/bindings/RefundContext'
import { REFUND_INFO as INFO } from '@/testing/refunds'
import type { CounterRefundsApi } from '@/stores/refunds'

const CTX: RefundContext = {
  account_no: '3100000045',
  name: '杨军',
  closed: false,
  balance: '1395.99',
  held: '800.00',
  refundable: '595.99',
  duplicates: [
    { receipt_no: 'DEMO-01-2026-000002', created_at: '2026-03-01 10:00:00', amount: '300.00', refundable: '300.00' },
    { receipt_no: 'DEMO-01-2026-000001', created_at: '2026-02-28 09:00:00', amount: '200.00', refundable: '0.00' },
  ],
  requests: [],
}

function api(over: Partial<CounterRefundsApi> = {}): CounterRefundsApi {
  return {
    context: vi.fn(async () => structuredClone(CTX)),
    submit: vi.fn(async () => INFO),
    decide: vi.fn(async () => INFO),
    list: vi.fn(async () => [INFO]),
    pdf: vi.fn(async () => ({ title: `退费申请单 ${INFO.request_no}`, pdf_base64: 'JVBERi0=' })),
    print: vi.fn(async () => ({ title: `退费申请单 ${INFO.request_no}`, printer: 'counter-test' })),
    ...over,
  }
}

async function setup(a: CounterRefundsApi = api(), ctx?: RefundContext) {
  if (ctx) a.context = vi.fn(async () => ctx)
  const wrapper = mount(RefundDialog, {
    props: { accountNo: '3100000045', api: a },
    global: {
      plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })],
      stubs: { ReceiptPreview: { props: ['pdf', 'busy'], template: '<div data-testid="receipt-preview" :data-pdf="pdf" />' } },
    },
    attachTo: document.body,
  })
  await flushPromises()
  return wrapper
}

type W = Awaited<ReturnType<typeof setup>>
const get = (w: W, id: string) => w.get(`[data-testid="${id}"]`)
const active = () => document.activeElement?.getAttribute('data-testid')
/** Enter (Ctrl+Enter) on the field that has the focus. */
async function enter(ctrl = false) {
  const el = document.activeElement as HTMLElement
  el.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: ctrl, bubbles: true }))
  await flushPromises()
}

/** Fill a valid 多缴 request for `amount`. */
async function fillValid(w: W, amount = '500.00') {
  await get(w, 'refund-reason-select').setValue('overpaid')
  await get(w, 'refund-amount-input').setValue(amount)
  await get(w, 'refund-bank').setValue('中国工商银行')
  await get(w, 'refund-branch').setValue('示范市城关支行')
  await get(w, 'refund-account').setValue('6222-0212-3456-7890-123')
}

afterEach(() => {
  document.body.innerHTML = ''
})

describe('RefundDialog (F3)', () => {
  it('shows 预存余额, 已冻结 and 可退金额, proposes the 户名 as payee and starts on the reason', async () => {
    const w = await setup()
    expect(get(w, 'refund-balance').text()).toBe('1,395.99')
    expect(get(w, 'refund-held').text()).toBe('800.00')
    expect(get(w, 'refund-refundable').text()).toBe('595.99')
    expect((get(w, 'refund-payee-name').element as HTMLInputElement).value).toBe('杨军')
    expect(active()).toBe('refund-reason-select')
    expect(get(w, 'refund-cap').text()).toBe('最多可退 595.99')
  })

  it('Enter walks the fields in order and submits from the last', async () => {
    const a = api()
    const w = await setup(a)
    await fillValid(w)
    const order: string[] = []
    ;(get(w, 'refund-reason-select').element as HTMLElement).focus()
    for (let i = 0; i < 9; i++) {
      order.push(active() ?? '')
      await enter()
    }
    expect(order).toEqual([
      'refund-reason-select',
      'refund-amount-input',
      'refund-payee-name',
      'refund-bank',
      'refund-branch',
      'refund-account',
      'refund-doc-id',
      'refund-doc-receipt',
      'refund-doc-closure',
    ])
    expect(a.submit).toHaveBeenCalledTimes(1)
    expect(a.submit).toHaveBeenCalledWith({
      account_no: '3100000045',
      reason: 'overpaid',
      reason_text: null,
      amount: '500.00',
      payee_name: null,
      payee_reason: null,
      payee_bank: '中国工商银行',
      payee_branch: '示范市城关支行',
      payee_account: '6222021234567890123',
      docs: { id_card: false, original_receipt: false, closure_form: false },
      duplicate_of: null,
    })
  })

  it('reads the account number back in groups of four with its digit count', async () => {
    const w = await setup()
    await get(w, 'refund-account').setValue('６２２２０２１２３４５６７８９０１２３')
    expect(get(w, 'refund-account-grouped').text()).toBe('6222 0212 3456 7890 123')
    expect(get(w, 'refund-account-readback').text()).toContain('19 位')
  })

  it('refuses more than the cap before sending, and F4 types the cap', async () => {
    const a = api()
    const w = await setup(a)
    await fillValid(w, '596.00')
    await enter(true)
    expect(a.submit).not.toHaveBeenCalled()
    expect(get(w, 'refund-error-amount').text()).toBe('退费金额不能超过可退金额 595.99')
    expect(active()).toBe('refund-amount-input')
    ;(document.activeElement as HTMLElement).dispatchEvent(new KeyboardEvent('keydown', { key: 'F4', bubbles: true }))
    await flushPromises()
    expect((get(w, 'refund-amount-input').element as HTMLInputElement).value).toBe('595.99')
    expect(get(w, 'refund-words').text()).toContain('人民币伍佰玖拾伍元玖角玖分')
  })

  it('another payee reveals 代领原因, which is then required', async () => {
    const a = api()
    const w = await setup(a)
    await fillValid(w)
    expect(w.find('[data-testid="refund-payee-reason"]').exists()).toBe(false)
    await get(w, 'refund-payee-name').setValue('杨小军')
    expect(w.find('[data-testid="refund-payee-reason"]').exists()).toBe(true)
    await enter(true)
    expect(a.submit).not.toHaveBeenCalled()
    expect(get(w, 'refund-error-payeeReason').text()).toContain('代领原因')
    expect(active()).toBe('refund-payee-reason')
    await get(w, 'refund-payee-reason').setValue('持授权委托书代领')
    await enter(true)
    expect(a.submit).toHaveBeenCalledWith(expect.objectContaining({ payee_name: '杨小军', payee_reason: '持授权委托书代领' }))
  })

  it('其他 needs the reason in words', async () => {
    const a = api()
    const w = await setup(a)
    await fillValid(w)
    await get(w, 'refund-reason-select').setValue('other')
    await enter(true)
    expect(get(w, 'refund-error-reasonText').text()).toContain('写明原因')
    await get(w, 'refund-reason-text').setValue('抄表差错')
    await enter(true)
    expect(a.submit).toHaveBeenCalledWith(expect.objectContaining({ reason: 'other', reason_text: '抄表差错' }))
  })

  it('重复缴费 offers the payments with something left, and the chosen one\'s refundable becomes the cap and the amount', async () => {
    const a = api()
    const w = await setup(a)
    await get(w, 'refund-reason-select').setValue('duplicate')
    const options = w.findAll('[data-testid="refund-duplicate"] option').map((o) => o.attributes('value'))
    expect(options).toEqual(['', 'DEMO-01-2026-000002'])
    expect(w.find('[data-testid="refund-cap"]').exists()).toBe(false)
    await get(w, 'refund-duplicate').setValue('DEMO-01-2026-000002')
    expect(get(w, 'refund-cap').text()).toBe('最多可退 300.00')
    expect((get(w, 'refund-amount-input').element as HTMLInputElement).value).toBe('300.00')
    await get(w, 'refund-amount-input').setValue('300.01')
    await get(w, 'refund-bank').setValue('中国工商银行')
    await get(w, 'refund-branch').setValue('示范市城关支行')
    await get(w, 'refund-account').setValue('62220212345678')
    await enter(true)
    expect(get(w, 'refund-error-amount').text()).toBe('退费金额不能超过可退金额 300.00')
    await get(w, 'refund-amount-input').setValue('300.00')
    await enter(true)
    expect(a.submit).toHaveBeenCalledWith(expect.objectContaining({ reason: 'duplicate', duplicate_of: 'DEMO-01-2026-000002', amount: '300.00' }))
  })

  it('a closed account starts as 销户余额 with its whole refundable amount', async () => {
    const w = await setup(api(), { ...CTX, closed: true, held: '0.00', refundable: '1395.99' })
    expect((get(w, 'refund-reason-select').element as HTMLSelectElement).value).toBe('closure')
    expect((get(w, 'refund-amount-input').element as HTMLInputElement).value).toBe('1395.99')
  })

  it('says when nothing can be refunded', async () => {
    const w = await setup(api(), { ...CTX, balance: '800.00', refundable: '0.00', duplicates: [] })
    expect(get(w, 'refund-nothing').text()).toBe('该户当前没有可退金额')
  })

  it('a payee account too short is caught here; the core\'s REFUND_AMOUNT puts the cursor on the amount', async () => {
    const a = api({
      submit: vi.fn(async () => {
        throw { code: 'REFUND_AMOUNT', message: 'too much', params: { amount: '500.00', refundable: '95.99' } }
      }),
    })
    const w = await setup(a)
    await fillValid(w)
    await get(w, 'refund-account').setValue('6222 021')
    await enter(true)
    expect(get(w, 'refund-error-account').text()).toBe('收款账号应为 8–30 位数字')
    expect(a.submit).not.toHaveBeenCalled()
    await get(w, 'refund-account').setValue('6222 0212')
    await enter(true)
    expect(get(w, 'refund-error').text()).toBe('退费金额 500.00 超过可退金额 95.99（预存余额减去其他申请已冻结的金额）')
    expect(active()).toBe('refund-amount-input')
  })

  it('submitted: shows the request, prints its form once, and tells the counter', async () => {
    const a = api()
    const w = await setup(a)
    await fillValid(w)
    await enter(true)
    expect(w.emitted('submitted')).toEqual([[INFO]])
    expect(get(w, 'refund-submitted').text()).toBe('退费申请已提交，金额已冻结')
    expect(get(w, 'refund-request-no').text()).toBe(INFO.request_no)
    expect(get(w, 'refund-state').text()).toBe('待营业厅审核')
    expect(get(w, 'refund-account-masked').text()).toBe('6222 **** **** 0123')
    expect(a.pdf).toHaveBeenCalledTimes(1)
    expect(a.pdf).toHaveBeenCalledWith(INFO.request_no, 'form')
    expect(a.print).toHaveBeenCalledTimes(1)
    expect(a.print).toHaveBeenCalledWith(INFO.request_no, 'form')
    expect(get(w, 'refund-printed').text()).toBe(`已送打印机 counter-test：退费申请单 ${INFO.request_no}`)
  })
})

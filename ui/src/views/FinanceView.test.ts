import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { enableAutoUnmount, flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createI18n } from 'vue-i18n'
import { messages } from '@/i18n'
import type { RefundSummary } from '@/bindings/RefundSummary'

const calls: { cmd: string; req: Record<string, unknown> }[] = []
let answer: (cmd: string, req: Record<string, unknown>) => unknown

vi.mock('@/api/call', async (importOriginal) => {
  const real = await importOriginal<typeof import('@/api/call')>()
  return {
    ...real,
    call: vi.fn(async (cmd: string, req: Record<string, unknown>) => {
      calls.push({ cmd, req })
      return answer(cmd, req)
    }),
  }
})

import FinanceView from './FinanceView.vue'
import { useFinanceStore } from '@/stores/finance'

const ROW: RefundSummary = {
  refund_id: 'r-1',
  request_no: 'DEMO-01-TF-2026-000001',
  terminal: 'DEMO-01',
  account_no: '3100000045',
  account_name: '杨军',
  amount: '800.00',
  reason: 'overpaid',
  state: 'at_ledger',
  submitted_at: '2026-03-02T09:30:00+08:00',
  submitted_by: 'cashier1',
  payee_name: '杨军',
  payee_account_masked: '6222 **** **** 0123',
  overdue: false,
}
const LATE: RefundSummary = { ...ROW, refund_id: 'r-0', request_no: 'DEMO-02-TF-2026-000009', terminal: 'DEMO-02', amount: '50.00', overdue: true }

function respond(cmd: string): unknown {
  switch (cmd) {
    case 'app_info':
      return { utility: '国网示范供电公司营业厅', terminal: 'DEMO-01', version: '0.1.0', today: '2026-03-05' }
    case 'finance_login':
      return { token: 'tok', username: 'finance1', display_name: '财务一', role: 'finance', expires_at: '2026-03-05T17:30:00+08:00' }
    case 'finance_refunds':
      return { items: [ROW, LATE], total: 2, total_amount: '850.00' }
    case 'finance_refund':
      return {
        summary: ROW,
        reason_text: null,
        payee_bank: '中国工商银行',
        payee_branch: '示范市城关支行',
        payee_reason: null,
        docs: { id_card: true, original_receipt: false, closure_form: false },
        duplicate_of: null,
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
        history: [],
      }
    default:
      return null
  }
}

async function setup() {
  const pinia = createPinia()
  setActivePinia(pinia)
  await useFinanceStore().login('finance1', 'pw', null)
  calls.length = 0
  const w = mount(FinanceView, {
    global: { plugins: [pinia, createI18n({ legacy: false, locale: 'zh-CN', messages })] },
    attachTo: document.body,
  })
  await flushPromises()
  return w
}
type W = Awaited<ReturnType<typeof setup>>
const get = (w: W, id: string) => w.get(`[data-testid="${id}"]`)

enableAutoUnmount(afterEach)

beforeEach(() => {
  calls.length = 0
  answer = respond
})
afterEach(() => {
  document.body.innerHTML = ''
})

describe('FinanceView', () => {
  it('lists what waits for finance with the count and the sum; overdue rows marked', async () => {
    const w = await setup()
    const list = calls.find((c) => c.cmd === 'finance_refunds')!
    expect(list.req).toEqual({ finance_token: 'tok', url: null, query: { state: 'at_ledger', limit: 50, offset: 0 } })
    expect(get(w, 'finance-total').text()).toBe('共 2 笔，合计 850.00 元')
    const rows = w.findAll('[data-testid="finance-row"]')
    expect(rows[0]!.find('[data-testid="finance-row-overdue"]').exists()).toBe(false)
    expect(rows[1]!.get('[data-testid="finance-row-overdue"]').text()).toBe('逾期')
    expect(rows[0]!.text()).toContain('6222 **** **** 0123')
    expect(get(w, 'finance-user').text()).toBe('财务一')
    expect(w.find('[data-testid="finance-read-only"]').exists()).toBe(false)
  })

  it('a wrong date is said before asking the ledger; Enter in a filter searches', async () => {
    const w = await setup()
    calls.length = 0
    await get(w, 'finance-filter-from').setValue('2026-3-1')
    await get(w, 'finance-filter-from').trigger('keydown', { key: 'Enter' })
    expect(get(w, 'finance-filter-error').text()).toBe('提交日期（起）应为日期，如 2026-03-01')
    expect(calls).toEqual([])
    await get(w, 'finance-filter-from').setValue('2026-03-01')
    await get(w, 'finance-filter-terminal').setValue('demo-01')
    await get(w, 'finance-filter-overdue').setValue(true)
    await get(w, 'finance-filter-terminal').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(calls.at(-1)!.req.query).toEqual({ state: 'at_ledger', terminal: 'DEMO-01', from: '2026-03-01', overdue: true, limit: 50, offset: 0 })
  })

  it('Enter opens the chosen row; Esc goes back to the list, read again', async () => {
    const w = await setup()
    await get(w, 'finance-list').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(calls.at(-1)).toEqual({ cmd: 'finance_refund', req: { finance_token: 'tok', url: null, refund_id: 'r-1' } })
    expect(get(w, 'finance-request-no').text()).toBe('DEMO-01-TF-2026-000001')
    await get(w, 'finance-detail').trigger('keydown', { key: 'Escape' })
    await flushPromises()
    expect(w.find('[data-testid="finance-detail"]').exists()).toBe(false)
    expect(calls.at(-1)!.cmd).toBe('finance_refunds')
  })

  it('F5 reads the list again instead of reloading the page', async () => {
    await setup()
    calls.length = 0
    const e = new KeyboardEvent('keydown', { key: 'F5', cancelable: true })
    window.dispatchEvent(e)
    await flushPromises()
    expect(e.defaultPrevented).toBe(true)
    expect(calls.map((c) => c.cmd)).toEqual(['finance_refunds'])
  })

  it('a session the ledger ended goes back to the log-in with the reason', async () => {
    const w = await setup()
    answer = () => {
      throw { code: 'FINANCE_REFUSED', message: '', params: { ledger_code: 'UNAUTHORIZED', message: 'expired' } }
    }
    await get(w, 'finance-search').trigger('click')
    await flushPromises()
    const f = useFinanceStore()
    expect(f.loggedIn).toBe(false)
    expect(f.endedBy?.params.ledger_code).toBe('UNAUTHORIZED')
  })
})

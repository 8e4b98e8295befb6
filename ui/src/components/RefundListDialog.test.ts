import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import RefundListDialog from './RefundListDialog.vue'
import { messages } from '@/i18n'
import type { RefundInfo } from '@/bindings/RefundInfo'
import type { CounterRefundsApi } from '@/stores/refunds'
import { REFUND_INFO } from '@/testing/refunds'

const OLD: RefundInfo = { ...REFUND_INFO, request_no: 'DEMO-01-TF-2026-000001', amount: '120.00', overdue: true, submitted_at: '2026-02-10 09:00:00' }

function api(over: Partial<CounterRefundsApi> = {}): CounterRefundsApi {
  return {
    context: vi.fn(),
    submit: vi.fn(),
    decide: vi.fn(),
    list: vi.fn(async () => [REFUND_INFO, OLD]),
    pdf: vi.fn(),
    print: vi.fn(),
    ...over,
  }
}

async function setup(a = api()) {
  const w = mount(RefundListDialog, {
    props: { api: a },
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

afterEach(() => {
  document.body.innerHTML = ''
})

describe('RefundListDialog (Shift+F3)', () => {
  it('lists what waits for the hall first, overdue ones marked, and has the keys', async () => {
    const a = api()
    const w = await setup(a)
    expect(a.list).toHaveBeenCalledWith('submitted')
    expect((get(w, 'refund-filter').element as HTMLSelectElement).value).toBe('submitted')
    const rows = w.findAll('[data-testid="refund-row"]')
    expect(rows.map((r) => r.attributes('data-request'))).toEqual(['DEMO-01-TF-2026-000002', 'DEMO-01-TF-2026-000001'])
    expect(rows[0]!.find('[data-testid="refund-row-overdue"]').exists()).toBe(false)
    expect(rows[1]!.get('[data-testid="refund-row-overdue"]').text()).toBe('逾期')
    expect(rows[1]!.classes()).toContain('late')
    expect(document.activeElement).toBe(get(w, 'refund-list').element)
  })

  it('another state reads the list again; 全部 asks for every state', async () => {
    const a = api()
    const w = await setup(a)
    await get(w, 'refund-filter').setValue('paid')
    await flushPromises()
    expect(a.list).toHaveBeenLastCalledWith('paid')
    await get(w, 'refund-filter').setValue('all')
    await flushPromises()
    expect(a.list).toHaveBeenLastCalledWith(null)
  })

  it('↓ Enter opens the second request; Esc goes back to the list, read again; Esc again closes', async () => {
    const a = api()
    const w = await setup(a)
    await get(w, 'refund-list').trigger('keydown', { key: 'ArrowDown' })
    await get(w, 'refund-list').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(get(w, 'refund-request-no').text()).toBe('DEMO-01-TF-2026-000001')
    expect(get(w, 'refund-overdue').text()).toBe('逾期')
    await get(w, 'refund-request').trigger('keydown', { key: 'Escape' })
    await flushPromises()
    expect(w.find('[data-testid="refund-request"]').exists()).toBe(false)
    expect(a.list).toHaveBeenCalledTimes(2)
    expect(w.emitted('close')).toBeUndefined()
    await get(w, 'refund-list').trigger('keydown', { key: 'Escape' })
    expect(w.emitted('close')).toHaveLength(1)
  })

  it('nothing listed: says so, and Esc still closes', async () => {
    const w = await setup(api({ list: vi.fn(async () => []) }))
    expect(get(w, 'refund-list-empty').text()).toBe('没有符合条件的退费申请')
    expect(document.activeElement).toBe(get(w, 'refund-filter').element)
    await get(w, 'refund-filter').trigger('keydown', { key: 'Escape' })
    expect(w.emitted('close')).toHaveLength(1)
  })
})

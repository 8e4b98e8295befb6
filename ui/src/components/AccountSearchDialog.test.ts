import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { nextTick } from 'vue'
import { createI18n } from 'vue-i18n'
import AccountSearchDialog from './AccountSearchDialog.vue'
import { messages } from '@/i18n'
import type { AccountHit } from '@/bindings/AccountHit'

function hit(account_no: string, name: string): AccountHit {
  return {
    account_no,
    name,
    address: '贵阳市南明区测试路 1 号',
    meter_no: 'M' + account_no,
    category: 'residential',
    billing_mode: 'postpaid',
    risk: null,
    closed: false,
  }
}

const THREE = [hit('3100000001', '王建国'), hit('3100000002', '王小明'), hit('3100000003', '王芳')]

function setup(search: (q: string) => Promise<AccountHit[]>) {
  const i18n = createI18n({ legacy: false, locale: 'zh-CN', messages })
  return mount(AccountSearchDialog, { props: { search, debounceMs: 150 }, global: { plugins: [i18n] }, attachTo: document.body })
}

async function type(wrapper: ReturnType<typeof setup>, text: string) {
  await wrapper.get('[data-testid="search-input"]').setValue(text)
}

function press(wrapper: ReturnType<typeof setup>, key: string) {
  return wrapper.get('[data-testid="search-input"]').trigger('keydown', { key })
}

function activeName(wrapper: ReturnType<typeof setup>) {
  return wrapper.get('tr[aria-selected="true"]').text()
}

beforeEach(() => vi.useFakeTimers())
afterEach(() => {
  vi.useRealTimers()
  document.body.innerHTML = ''
})

describe('AccountSearchDialog', () => {
  it('focuses the field on open', async () => {
    const wrapper = setup(async () => [])
    await nextTick() // the dialog's content is there, and focused, a tick after it opens
    expect(document.activeElement).toBe(wrapper.get('[data-testid="search-input"]').element)
  })

  it('searches once the typing pauses (debounced), not on every key', async () => {
    const search = vi.fn(async () => THREE)
    const wrapper = setup(search)
    await type(wrapper, '王')
    await type(wrapper, '王建')
    expect(search).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(150)
    await flushPromises()
    expect(search).toHaveBeenCalledTimes(1)
    expect(search).toHaveBeenCalledWith('王建')
    expect(wrapper.findAll('[data-testid="search-hit"]')).toHaveLength(3)
  })

  it('↓ and ↑ move the highlight within the list, Enter picks the highlighted account', async () => {
    const wrapper = setup(async () => THREE)
    await type(wrapper, '王')
    await vi.advanceTimersByTimeAsync(150)
    await flushPromises()
    expect(activeName(wrapper)).toContain('3100000001')

    await press(wrapper, 'ArrowDown')
    await press(wrapper, 'ArrowDown')
    await press(wrapper, 'ArrowDown') // stays on the last one
    expect(activeName(wrapper)).toContain('3100000003')
    await press(wrapper, 'ArrowUp')
    expect(activeName(wrapper)).toContain('3100000002')

    await press(wrapper, 'Enter')
    await flushPromises()
    expect(wrapper.emitted('pick')).toEqual([['3100000002']])
  })

  it('Enter on a full 户号 picks it at once, even before the debounced search ran', async () => {
    const search = vi.fn(async (q: string) => THREE.filter((h) => h.account_no === q))
    const wrapper = setup(search)
    await type(wrapper, '3100000003')
    await press(wrapper, 'Enter')
    await flushPromises()
    expect(search).toHaveBeenCalledWith('3100000003')
    expect(wrapper.emitted('pick')).toEqual([['3100000003']])
  })

  it('Enter with a full 户号 among several hits picks the exact match', async () => {
    const wrapper = setup(async () => [THREE[1]!, THREE[0]!])
    await type(wrapper, '3100000001')
    await press(wrapper, 'Enter')
    await flushPromises()
    expect(wrapper.emitted('pick')).toEqual([['3100000001']])
  })

  it('drops the answer to an older query that arrives late', async () => {
    const pending: Record<string, (hits: AccountHit[]) => void> = {}
    const search = (q: string) => new Promise<AccountHit[]>((resolve) => (pending[q] = resolve))
    const wrapper = setup(search)

    await type(wrapper, '王')
    await vi.advanceTimersByTimeAsync(150)
    await type(wrapper, '王芳')
    await vi.advanceTimersByTimeAsync(150)

    pending['王芳']!([THREE[2]!])
    await flushPromises()
    pending['王']!(THREE)
    await flushPromises()

    const rows = wrapper.findAll('[data-testid="search-hit"]')
    expect(rows).toHaveLength(1)
    expect(rows[0]!.text()).toContain('王芳')
  })

  it('Esc closes the dialog and does not reach the counter behind it', async () => {
    const wrapper = setup(async () => [])
    const behind = vi.fn()
    window.addEventListener('keydown', behind)
    await press(wrapper, 'Escape')
    window.removeEventListener('keydown', behind)
    expect(wrapper.emitted('close')).toHaveLength(1)
    expect(behind).not.toHaveBeenCalled()
  })

  it('does not search for blank input and Enter does nothing then', async () => {
    const search = vi.fn(async () => THREE)
    const wrapper = setup(search)
    await type(wrapper, '   ')
    await vi.advanceTimersByTimeAsync(150)
    await press(wrapper, 'Enter')
    await flushPromises()
    expect(search).not.toHaveBeenCalled()
    expect(wrapper.emitted('pick')).toBeUndefined()
  })

  it('shows a translated error when the search fails', async () => {
    const wrapper = setup(async () => {
      throw { code: 'STORE_ERROR', message: 'disk I/O error', params: {} }
    })
    await type(wrapper, '王')
    await vi.advanceTimersByTimeAsync(150)
    await flushPromises()
    expect(wrapper.get('[data-testid="search-error"]').text()).toContain('本地数据库出错')
  })
})

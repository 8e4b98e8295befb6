import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { enableAutoUnmount, flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createI18n } from 'vue-i18n'
import { messages } from '@/i18n'

const calls: { cmd: string; req: unknown }[] = []
let answer: (cmd: string) => unknown

vi.mock('@/api/call', async (importOriginal) => {
  const real = await importOriginal<typeof import('@/api/call')>()
  return {
    ...real,
    call: vi.fn(async (cmd: string, req: unknown) => {
      calls.push({ cmd, req })
      return answer(cmd)
    }),
  }
})

import { ApiError } from '@/api/call'
import LoginView from './LoginView.vue'
import { useFinanceStore } from '@/stores/finance'
import { useSessionStore } from '@/stores/session'

enableAutoUnmount(afterEach)

function setup() {
  const pinia = createPinia()
  setActivePinia(pinia)
  return mount(LoginView, { global: { plugins: [pinia, createI18n({ legacy: false, locale: 'zh-CN', messages })] }, attachTo: document.body })
}

beforeEach(() => {
  calls.length = 0
  answer = (cmd) =>
    cmd === 'app_info'
      ? { utility: '国网示范供电公司营业厅', terminal: 'DEMO-01', version: '0.1.0', today: '2026-03-05' }
      : { token: 'tok', username: 'finance1', display_name: '财务一', role: 'finance', expires_at: '2026-03-05T17:30:00+08:00' }
})
afterEach(() => {
  document.body.innerHTML = ''
})

async function type(w: ReturnType<typeof setup>, id: string, value: string) {
  await w.get(`[data-testid="${id}"]`).setValue(value)
}

describe('LoginView: the finance log-in', () => {
  it('财务复核登录 switches to the ledger log-in, with an optional ledger URL', async () => {
    const w = setup()
    await flushPromises()
    expect(w.find('[data-testid="login-ledger-url"]').exists()).toBe(false)
    await w.get('[data-testid="login-mode"]').trigger('click')
    expect(w.get('[data-testid="login-title"]').text()).toBe('账务中心 · 财务复核登录')
    expect(w.find('[data-testid="login-ledger-url"]').exists()).toBe(true)
    await type(w, 'login-username', 'finance1')
    await type(w, 'login-password', 'Finance#Ledger2026')
    await w.get('form').trigger('submit')
    await flushPromises()
    expect(calls.at(-1)).toEqual({ cmd: 'finance_login', req: { username: 'finance1', password: 'Finance#Ledger2026', url: null } })
    expect(useFinanceStore().loggedIn).toBe(true)
    expect(useSessionStore().loggedIn).toBe(false)
  })

  it('a refused finance log-in says so without telling which of name or password was wrong', async () => {
    answer = (cmd) => {
      if (cmd === 'app_info') return { utility: 'x', terminal: 'DEMO-01', version: '0.1.0', today: '2026-03-05' }
      throw { code: 'FINANCE_REFUSED', message: '', params: { ledger_code: 'UNAUTHORIZED', message: 'unknown user' } }
    }
    const w = setup()
    await w.get('[data-testid="login-mode"]').trigger('click')
    await type(w, 'login-username', 'finance1')
    await type(w, 'login-password', 'wrong')
    await type(w, 'login-ledger-url', 'http://127.0.0.1:9')
    await w.get('form').trigger('submit')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ cmd: 'finance_login', req: { url: 'http://127.0.0.1:9' } })
    expect(w.get('[data-testid="login-error"]').text()).toContain('用户名或密码错误，或登录已过期')
    expect(w.get('[data-testid="login-error"]').text()).not.toContain('unknown user')
  })

  it('a finance session the ledger ended comes back to the finance log-in with the reason', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    useFinanceStore().expire(new ApiError({ code: 'FINANCE_REFUSED', message: '', params: { ledger_code: 'UNAUTHORIZED', message: '' } }))
    const w = mount(LoginView, { global: { plugins: [pinia, createI18n({ legacy: false, locale: 'zh-CN', messages })] }, attachTo: document.body })
    await flushPromises()
    expect(w.get('[data-testid="login-title"]').text()).toBe('账务中心 · 财务复核登录')
    expect(w.get('[data-testid="login-error"]').text()).toContain('账务中心登录无效')
  })

  it('a finance view logged out for being idle says so at the finance log-in', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    useFinanceStore().endedIdle = true
    const w = mount(LoginView, { global: { plugins: [pinia, createI18n({ legacy: false, locale: 'zh-CN', messages })] }, attachTo: document.body })
    await flushPromises()
    expect(w.get('[data-testid="login-title"]').text()).toBe('账务中心 · 财务复核登录')
    expect(w.get('[data-testid="login-error"]').text()).toBe('账务中心页面无人操作，已自动退出登录；请重新登录')
    await w.get('[data-testid="login-mode"]').trigger('click')
    expect(w.find('[data-testid="login-error"]').exists()).toBe(false)
    expect(useFinanceStore().endedIdle).toBe(false)
  })
})

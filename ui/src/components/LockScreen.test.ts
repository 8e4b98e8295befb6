import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createI18n } from 'vue-i18n'
import LockScreen from './LockScreen.vue'
import { messages } from '@/i18n'
import { useSessionStore } from '@/stores/session'

function reply(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}
const USER = { username: 'cashier1', display_name: '李收费', role: 'cashier' }
const LOGIN = { token: 'secret-token', user: USER, notices: [], idle_lock_minutes: 10 }

let fetch: ReturnType<typeof vi.fn>

async function lockedSession(...answers: Response[]) {
  fetch = vi.fn().mockResolvedValueOnce(reply(200, LOGIN)).mockResolvedValueOnce(reply(200, null))
  for (const a of answers) fetch.mockResolvedValueOnce(a)
  vi.stubGlobal('fetch', fetch)
  const session = useSessionStore()
  await session.login('cashier1', 'pw')
  await session.lock()
  const wrapper = mount(LockScreen, {
    global: { plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })] },
    attachTo: document.body,
  })
  return { session, wrapper }
}

function sent(n: number) {
  const [url, init] = fetch.mock.calls[n] as [string, RequestInit]
  return { cmd: url.replace('/api/call/', ''), req: JSON.parse(init.body as string) }
}

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

describe('LockScreen', () => {
  it('names the locked user and takes the focus', async () => {
    const { wrapper } = await lockedSession()
    await flushPromises() // the dialog's content is focused a tick after it opens
    expect(wrapper.get('[data-testid="lock-user"]').text()).toBe('李收费（cashier1）')
    expect(wrapper.text()).toContain('请 cashier1 输入密码解锁')
    expect(document.activeElement).toBe(wrapper.get('[data-testid="lock-password"]').element)
    expect(wrapper.get('[data-testid="lock-logout"]').text()).toContain('退出登录（让其他人登录）')
  })

  it('a wrong password is refused (AUTH_INVALID, shown) and stays locked; the right one unlocks', async () => {
    const { session, wrapper } = await lockedSession(
      reply(401, { code: 'AUTH_INVALID', message: 'wrong', params: {} }),
      reply(200, USER),
    )
    const password = wrapper.get('[data-testid="lock-password"]')
    await password.trigger('keydown', { key: 'Enter' })
    expect(wrapper.get('[data-testid="lock-error"]').text()).toBe('请输入密码')
    expect(fetch).toHaveBeenCalledTimes(2)

    await password.setValue('wrong-one')
    await password.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(wrapper.get('[data-testid="lock-error"]').text()).toBe('用户名或密码错误；连续输错5次将锁定15分钟，可请管理员解锁')
    expect((password.element as HTMLInputElement).value).toBe('')
    expect(session.locked).toBe(true)

    await password.setValue('Cashier#2026')
    await password.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(sent(3)).toEqual({ cmd: 'unlock_session', req: { token: 'secret-token', password: 'Cashier#2026' } })
    expect(session.locked).toBe(false)
    expect(session.loggedIn).toBe(true)
  })

  it('Alt+Q logs the session out, so that someone else can log in', async () => {
    const { session, wrapper } = await lockedSession(reply(200, null))
    await wrapper.get('[data-testid="lock-password"]').trigger('keydown', { key: 'q', altKey: true })
    await flushPromises()
    expect(sent(2)).toEqual({ cmd: 'logout', req: { token: 'secret-token' } })
    expect(session.loggedIn).toBe(false)
  })

  it('the button logs out too', async () => {
    const { session, wrapper } = await lockedSession(reply(200, null))
    await wrapper.get('[data-testid="lock-logout"]').trigger('click')
    await flushPromises()
    expect(session.loggedIn).toBe(false)
  })

  it('no key reaches the counter behind, and F5 cannot reload the page', async () => {
    const { wrapper } = await lockedSession()
    const behind = vi.fn()
    window.addEventListener('keydown', behind)
    const f5 = new KeyboardEvent('keydown', { key: 'F5', bubbles: true, cancelable: true })
    wrapper.get('[data-testid="lock-password"]').element.dispatchEvent(f5)
    await wrapper.get('[data-testid="lock-password"]').trigger('keydown', { key: 'F2' })
    window.removeEventListener('keydown', behind)
    expect(f5.defaultPrevented).toBe(true)
    expect(behind).not.toHaveBeenCalled()
  })
})

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { useSessionStore } from './session'
import { useAccountStore } from './account'
import { i18n, setLocale } from '@/i18n'

function reply(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

const LOGIN = {
  token: 'secret-token',
  user: { username: 'cashier1', display_name: '李收费', role: 'cashier' },
  notices: [],
  idle_lock_minutes: 7,
}

beforeEach(() => {
  setActivePinia(createPinia())
  localStorage.clear()
})
afterEach(() => vi.unstubAllGlobals())

describe('session store', () => {
  it('今日 follows the clock: the counter\'s day is read again each minute until stopped, a failure keeps it', async () => {
    vi.useFakeTimers()
    try {
      const info = (today: string) => ({ terminal: 'DEMO-01', utility: '示范', version: '0.1.0', today, demo: true })
      const fetch = vi
        .fn()
        .mockResolvedValueOnce(reply(200, info('2026-03-01')))
        .mockResolvedValueOnce(reply(500, { code: 'STORE_ERROR', message: 'busy', retryable: true }))
        .mockResolvedValueOnce(reply(200, info('2026-03-02')))
      vi.stubGlobal('fetch', fetch)
      const session = useSessionStore()
      await session.loadInfo()
      const stop = session.followDay(60_000)
      await vi.advanceTimersByTimeAsync(59_000)
      expect(fetch).toHaveBeenCalledTimes(1)
      await vi.advanceTimersByTimeAsync(1_000)
      expect(fetch).toHaveBeenCalledTimes(2)
      expect(session.info?.today).toBe('2026-03-01') // the failed read kept the day shown
      await vi.advanceTimersByTimeAsync(60_000)
      expect(session.info?.today).toBe('2026-03-02')
      stop()
      await vi.advanceTimersByTimeAsync(180_000)
      expect(fetch).toHaveBeenCalledTimes(3)
    } finally {
      vi.useRealTimers()
    }
  })

  it('界面语言: the log-in applies the user\'s own language; a log-out returns to the machine\'s', async () => {
    setLocale('zh-CN') // the log-in screen's switch: this machine
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(reply(200, { ...LOGIN, language: 'en' }))
      .mockResolvedValueOnce(reply(200, null))
    vi.stubGlobal('fetch', fetch)
    const session = useSessionStore()
    await session.login('cashier1', 'pw')
    expect(i18n.global.locale.value).toBe('en')
    expect(localStorage.getItem('cashdesk.locale')).toBe('zh-CN') // the machine's choice is not the user's
    await session.logout()
    expect(i18n.global.locale.value).toBe('zh-CN')
  })

  it('界面语言: setLanguage keeps it with the user in the core and shows it at once', async () => {
    setLocale('zh-CN')
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(reply(200, { ...LOGIN, language: 'zh-CN' }))
      .mockResolvedValueOnce(reply(200, 'en'))
    vi.stubGlobal('fetch', fetch)
    const session = useSessionStore()
    await session.login('cashier1', 'pw')
    await session.setLanguage('en')
    const [url, init] = fetch.mock.calls[1] as [string, RequestInit]
    expect(url).toBe('/api/call/set_language')
    expect(JSON.parse(init.body as string)).toEqual({ token: 'secret-token', language: 'en' })
    expect(session.language).toBe('en')
    expect(i18n.global.locale.value).toBe('en')
    expect(localStorage.getItem('cashdesk.locale')).toBe('zh-CN')
    session.expire(new (await import('@/api/call')).ApiError({ code: 'SESSION_EXPIRED', message: '', params: {} }))
    expect(i18n.global.locale.value).toBe('zh-CN')
  })

  it('keeps the token in memory only', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(reply(200, LOGIN)))
    const session = useSessionStore()
    await session.login('cashier1', 'pw')
    expect(session.loggedIn).toBe(true)
    expect(session.token).toBe('secret-token')
    const stored = Object.keys(localStorage).map((k) => localStorage.getItem(k) ?? '').join(' ')
    expect(stored).not.toContain('secret-token')
  })

  it('SESSION_EXPIRED from any call ends the session and says why', async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(reply(200, LOGIN))
      .mockResolvedValueOnce(reply(401, { code: 'SESSION_EXPIRED', message: 'expired', params: {} }))
    vi.stubGlobal('fetch', fetch)
    const session = useSessionStore()
    const account = useAccountStore()
    await session.login('cashier1', 'pw')

    await account.load('3100000001')

    expect(session.loggedIn).toBe(false)
    expect(session.token).toBeNull()
    expect(session.endedBy?.code).toBe('SESSION_EXPIRED')
    const [, init] = fetch.mock.calls[1] as [string, RequestInit]
    expect(JSON.parse(init.body as string)).toEqual({ token: 'secret-token', account_no: '3100000001' })
  })

  it('other errors leave the session alone and are shown on the account', async () => {
    vi.stubGlobal(
      'fetch',
      vi
        .fn()
        .mockResolvedValueOnce(reply(200, LOGIN))
        .mockResolvedValueOnce(reply(404, { code: 'ACCOUNT_NOT_FOUND', message: 'no', params: { account_no: '1' } })),
    )
    const session = useSessionStore()
    const account = useAccountStore()
    await session.login('cashier1', 'pw')
    await account.load('1')
    expect(session.loggedIn).toBe(true)
    expect(account.error?.code).toBe('ACCOUNT_NOT_FOUND')
    expect(account.view).toBeNull()
  })
})

describe('screen lock (锁屏)', () => {
  function body(fetch: ReturnType<typeof vi.fn>, n: number) {
    const [url, init] = fetch.mock.calls[n] as [string, RequestInit]
    return { cmd: url.replace('/api/call/', ''), req: JSON.parse(init.body as string) }
  }

  it('takes the idle time from the log-in', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(reply(200, LOGIN)))
    const session = useSessionStore()
    expect(session.idleLockMinutes).toBe(10)
    await session.login('cashier1', 'pw')
    expect(session.idleLockMinutes).toBe(7)
    expect(session.locked).toBe(false)
  })

  it('lock() covers the counter at once and locks the session in the core', async () => {
    const fetch = vi.fn().mockResolvedValueOnce(reply(200, LOGIN)).mockResolvedValueOnce(reply(200, null))
    vi.stubGlobal('fetch', fetch)
    const session = useSessionStore()
    await session.login('cashier1', 'pw')
    const locking = session.lock()
    expect(session.locked).toBe(true)
    await locking
    expect(body(fetch, 1)).toEqual({ cmd: 'lock_session', req: { token: 'secret-token' } })
    await session.lock() // already locked: nothing more is sent
    expect(fetch).toHaveBeenCalledTimes(2)
    expect(session.loggedIn).toBe(true)
  })

  it('stays locked when the core cannot be reached', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValueOnce(reply(200, LOGIN)).mockRejectedValueOnce(new TypeError('down')))
    const session = useSessionStore()
    await session.login('cashier1', 'pw')
    await session.lock()
    expect(session.locked).toBe(true)
  })

  it('SESSION_LOCKED from any call shows the lock screen, and the caller still gets the error', async () => {
    vi.stubGlobal(
      'fetch',
      vi
        .fn()
        .mockResolvedValueOnce(reply(200, LOGIN))
        .mockResolvedValueOnce(reply(423, { code: 'SESSION_LOCKED', message: 'locked', params: { username: 'cashier1' } })),
    )
    const session = useSessionStore()
    const account = useAccountStore()
    await session.login('cashier1', 'pw')
    await account.load('3100000001')
    expect(session.locked).toBe(true)
    expect(session.loggedIn).toBe(true)
    expect(account.error?.code).toBe('SESSION_LOCKED')
  })

  it("unlock() with a wrong password stays locked; the user's own password opens it", async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(reply(200, LOGIN))
      .mockResolvedValueOnce(reply(200, null))
      .mockResolvedValueOnce(reply(401, { code: 'AUTH_INVALID', message: 'wrong', params: {} }))
      .mockResolvedValueOnce(reply(200, LOGIN.user))
    vi.stubGlobal('fetch', fetch)
    const session = useSessionStore()
    await session.login('cashier1', 'pw')
    await session.lock()
    await expect(session.unlock('wrong')).rejects.toMatchObject({ code: 'AUTH_INVALID' })
    expect(session.locked).toBe(true)
    await session.unlock('Cashier#2026')
    expect(session.locked).toBe(false)
    expect(body(fetch, 3)).toEqual({ cmd: 'unlock_session', req: { token: 'secret-token', password: 'Cashier#2026' } })
  })

  it('a session ended meanwhile (e.g. disabled by an administrator) goes back to log in', async () => {
    vi.stubGlobal(
      'fetch',
      vi
        .fn()
        .mockResolvedValueOnce(reply(200, LOGIN))
        .mockResolvedValueOnce(reply(200, null))
        .mockResolvedValueOnce(reply(401, { code: 'SESSION_EXPIRED', message: 'gone', params: {} })),
    )
    const session = useSessionStore()
    await session.login('cashier1', 'pw')
    await session.lock()
    await expect(session.unlock('Cashier#2026')).rejects.toMatchObject({ code: 'SESSION_EXPIRED' })
    expect(session.loggedIn).toBe(false)
    expect(session.locked).toBe(false)
    expect(session.endedBy?.code).toBe('SESSION_EXPIRED')
  })

  it('log-out from the lock screen ends the session (someone else may log in)', async () => {
    const fetch = vi.fn().mockResolvedValueOnce(reply(200, LOGIN)).mockResolvedValueOnce(reply(200, null)).mockResolvedValueOnce(reply(200, null))
    vi.stubGlobal('fetch', fetch)
    const session = useSessionStore()
    await session.login('cashier1', 'pw')
    await session.lock()
    await session.logout()
    expect(session.loggedIn).toBe(false)
    expect(session.locked).toBe(false)
    expect(body(fetch, 2)).toEqual({ cmd: 'logout', req: { token: 'secret-token' } })
  })
})

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { useSessionStore } from './session'
import { useAccountStore } from './account'

function reply(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

const LOGIN = { token: 'secret-token', user: { username: 'cashier1', display_name: '李收费', role: 'cashier' }, notices: [] }

beforeEach(() => {
  setActivePinia(createPinia())
  localStorage.clear()
})
afterEach(() => vi.unstubAllGlobals())

describe('session store', () => {
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

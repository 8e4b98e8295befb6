import { afterEach, describe, expect, it, vi } from 'vitest'

const invoke = vi.fn()
vi.mock('@tauri-apps/api/core', () => ({ invoke: (...args: unknown[]) => invoke(...args) }))

import { ApiError, bridgeSecret, call } from './call'

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

afterEach(() => {
  vi.unstubAllGlobals()
  invoke.mockReset()
  delete (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__
})

describe('call over HTTP (browser, tests, dev)', () => {
  it('posts the request as JSON to /api/call/{cmd} and returns the JSON result', async () => {
    const fetch = vi.fn().mockResolvedValue(
      jsonResponse(200, { token: 't1', user: { username: 'cashier1', display_name: '张三', role: 'cashier' }, notices: [] }),
    )
    vi.stubGlobal('fetch', fetch)

    const r = await call('login', { username: 'cashier1', password: 'pw' })

    expect(r.token).toBe('t1')
    expect(fetch).toHaveBeenCalledTimes(1)
    const [url, init] = fetch.mock.calls[0] as [string, RequestInit]
    expect(url).toBe('/api/call/login')
    expect(init.method).toBe('POST')
    expect((init.headers as Record<string, string>)['content-type']).toBe('application/json')
    expect(JSON.parse(init.body as string)).toEqual({ username: 'cashier1', password: 'pw' })
  })

  it("sends the bridge's secret from the address, kept for the tab and removed from the address bar", async () => {
    const secret = 'ab'.repeat(32)
    window.sessionStorage.clear()
    window.history.replaceState(null, '', `/counter?x=1#bridge-secret=${secret}`)
    const fetch = vi.fn().mockImplementation(() => Promise.resolve(jsonResponse(200, {})))
    vi.stubGlobal('fetch', fetch)

    await call('app_info', {})
    expect(window.location.hash).toBe('')
    expect(window.location.search).toBe('?x=1')
    await call('app_info', {})
    for (const [, init] of fetch.mock.calls as [string, RequestInit][]) {
      expect((init.headers as Record<string, string>)['x-cashdesk-bridge-secret']).toBe(secret)
    }
    window.history.replaceState(null, '', '/#bridge-secret=short')
    expect(bridgeSecret()).toBe(secret)
    window.sessionStorage.clear()
    expect(bridgeSecret()).toBeNull()
  })

  it('keeps money strings as strings (no number conversion on the way in)', async () => {
    const body = '{"account_no":"1","on":"2026-11-23","bills":[],"principal_total":"1005.30","late_fee_total":"0.00","total":"1005.30","total_words":"人民币壹仟零伍元叁角整"}'
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(new Response(body, { status: 200 })))
    const r = (await call('account_view', { token: 't', account_no: '1' })) as unknown as Record<string, unknown>
    expect(r.total).toBe('1005.30')
    expect(r.late_fee_total).toBe('0.00')
  })

  it('turns a non-2xx ErrorBody into an ApiError with its code, message and params', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn().mockResolvedValue(jsonResponse(423, { code: 'SESSION_LOCKED', message: 'locked', params: { username: 'cashier1' } })),
    )
    const err = await call('current_shift', { token: 't' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ code: 'SESSION_LOCKED', message: 'locked', params: { username: 'cashier1' } })
  })

  it('maps a non-2xx answer without an ErrorBody to INTERNAL with the HTTP status', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(new Response('Bad Gateway', { status: 502 })))
    const err = await call('app_info', {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).code).toBe('INTERNAL')
    expect((err as ApiError).message).toContain('502')
  })

  it('maps a network failure to NETWORK', async () => {
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('Failed to fetch')))
    const err = await call('app_info', {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).code).toBe('NETWORK')
  })
})

describe('call inside Tauri', () => {
  it("uses invoke('call', {cmd, req}) and maps a rejected ErrorBody to ApiError", async () => {
    ;(window as unknown as Record<string, unknown>).__TAURI_INTERNALS__ = {}
    const fetch = vi.fn()
    vi.stubGlobal('fetch', fetch)
    invoke.mockResolvedValueOnce([]).mockRejectedValueOnce({ code: 'SESSION_EXPIRED', message: 'expired', params: {} })

    await expect(call('search_accounts', { token: 't', query: '310' })).resolves.toEqual([])
    expect(invoke).toHaveBeenCalledWith('call', { cmd: 'search_accounts', req: { token: 't', query: '310' } })

    const err = await call('search_accounts', { token: 't', query: '310' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).code).toBe('SESSION_EXPIRED')
    expect(fetch).not.toHaveBeenCalled()
  })
})

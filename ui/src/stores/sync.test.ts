import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { useSessionStore } from './session'
import { POLL_MS, useSyncStore } from './sync'
import type { SyncStatus } from '@/bindings/SyncStatus'

function reply(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

const STATUS: SyncStatus = {
  enrolled: true,
  ledger_url: 'https://ledger.example.cn/',
  last_success: '2026-03-01T10:05:00+08:00',
  last_attempt: '2026-03-01T10:05:00+08:00',
  waiting: 0,
  last_error: null,
  consecutive_failures: 0,
  cursor: '',
  flagged: 0,
}

function calls(fetch: ReturnType<typeof vi.fn>): Array<[string, unknown]> {
  return fetch.mock.calls.map(([url, init]) => [String(url), JSON.parse((init as RequestInit).body as string)])
}

beforeEach(() => {
  setActivePinia(createPinia())
  const session = useSessionStore()
  session.token = 'tok'
  session.user = { username: 'cashier1', display_name: '李收费', role: 'cashier' }
})
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('sync store', () => {
  it('polls sync_status with the session token every few seconds until stopped', async () => {
    vi.useFakeTimers()
    const fetch = vi.fn(async () => reply(200, STATUS))
    vi.stubGlobal('fetch', fetch)
    const sync = useSyncStore()
    sync.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(sync.status).toEqual(STATUS)
    await vi.advanceTimersByTimeAsync(POLL_MS * 2)
    expect(calls(fetch)).toEqual([
      ['/api/call/sync_status', { token: 'tok' }],
      ['/api/call/sync_status', { token: 'tok' }],
      ['/api/call/sync_status', { token: 'tok' }],
    ])
    sync.clear()
    await vi.advanceTimersByTimeAsync(POLL_MS * 3)
    expect(fetch).toHaveBeenCalledTimes(3)
    expect(sync.status).toBeNull()
  })

  it('a failed poll keeps the last status and says why', async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(reply(200, STATUS))
      .mockResolvedValueOnce(reply(500, { code: 'STORE_ERROR', message: 'db', params: {} }))
    vi.stubGlobal('fetch', fetch)
    const sync = useSyncStore()
    await sync.refresh()
    await sync.refresh()
    expect(sync.status).toEqual(STATUS)
    expect(sync.loadError?.code).toBe('STORE_ERROR')
  })

  it('立即同步 calls sync_now, then reads the status; a failure is kept for the bar', async () => {
    const offline = { ...STATUS, waiting: 2, last_error: { code: 'SYNC_OFFLINE', message: 'x', retryable: true } }
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(reply(400, { code: 'SYNC_OFFLINE', message: 'refused', params: { detail: 'refused' } }))
      .mockResolvedValueOnce(reply(200, offline))
    vi.stubGlobal('fetch', fetch)
    const sync = useSyncStore()
    expect(await sync.syncNow()).toBeNull()
    expect(calls(fetch).map(([u]) => u)).toEqual(['/api/call/sync_now', '/api/call/sync_status'])
    expect(calls(fetch)[0]![1]).toEqual({ token: 'tok' })
    expect(sync.nowError?.code).toBe('SYNC_OFFLINE')
    expect(sync.status).toEqual(offline)
    expect(sync.syncing).toBe(false)
  })

  it('reads the flagged events with the session token, and forgets them when refused', async () => {
    const list = [{ event_id: 'e1', seq: 3, kind: 'payment', receipt_no: 'DEMO-01-2026-000003', reason: 'id_reused', flagged_at: '2026-03-01T10:05:00+08:00' }]
    const fetch = vi.fn(async () => reply(200, list))
    vi.stubGlobal('fetch', fetch)
    const sync = useSyncStore()
    await sync.loadFlagged()
    expect(calls(fetch)).toEqual([['/api/call/sync_flagged', { token: 'tok' }]])
    expect(sync.flaggedList).toEqual(list)
    vi.stubGlobal('fetch', vi.fn(async () => reply(403, { code: 'FORBIDDEN', message: 'no', params: {} })))
    await sync.loadFlagged()
    expect(sync.flaggedList).toBeNull()
  })
})

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { useSessionStore } from './session'
import { POLL_MS, useNoticesStore } from './notices'
import type { NoticeFilter } from '@/bindings/NoticeFilter'

function reply(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

const FILTER: NoticeFilter = {
  address_prefix: '示范市城关区',
  category: null,
  billing_mode: null,
  min_owed: null,
  min_days_overdue: null,
  skip_notified_days: 30,
}

/** A run as the core answers it over JSON: its id is a plain number. */
function status(state: string, printed: number) {
  return {
    run: 12,
    state,
    selected: 25,
    printed,
    started_at: '2026-03-02T10:00:00+08:00',
    finished_at: state === 'running' ? null : '2026-03-02T10:00:09+08:00',
    error_code: null,
    error_message: null,
    error_params: {},
  }
}

function calls(fetch: ReturnType<typeof vi.fn>): Array<[string, unknown]> {
  return fetch.mock.calls.map(([url, init]) => [String(url), JSON.parse((init as RequestInit).body as string)])
}

beforeEach(() => {
  setActivePinia(createPinia())
  const session = useSessionStore()
  session.token = 'tok'
  session.user = { username: 'super1', display_name: '王值班', role: 'supervisor' }
})
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('notices store', () => {
  it('starts a batch, then asks where it stands every POLL_MS until it is done', async () => {
    vi.useFakeTimers()
    const answers = [status('running', 0), status('running', 10), status('done', 25)]
    const fetch = vi.fn(async () => reply(200, answers.shift()))
    vi.stubGlobal('fetch', fetch)
    const notices = useNoticesStore()
    await notices.startBatch(FILTER)
    expect(notices.running).toBe(true)
    await vi.advanceTimersByTimeAsync(POLL_MS)
    expect(notices.run?.printed).toBe(10)
    await vi.advanceTimersByTimeAsync(POLL_MS)
    expect(notices.run?.state).toBe('done')
    expect(notices.running).toBe(false)
    await vi.advanceTimersByTimeAsync(POLL_MS * 5)
    // The run id goes back exactly as the core gave it.
    expect(calls(fetch)).toEqual([
      ['/api/call/notice_batch_start', { token: 'tok', filter: FILTER }],
      ['/api/call/notice_run_status', { token: 'tok', run: 12 }],
      ['/api/call/notice_run_status', { token: 'tok', run: 12 }],
    ])
  })

  it('a second start while one prints starts nothing', async () => {
    vi.useFakeTimers()
    const fetch = vi.fn(async () => reply(200, status('running', 0)))
    vi.stubGlobal('fetch', fetch)
    const notices = useNoticesStore()
    await notices.startBatch(FILTER)
    await notices.startBatch(FILTER)
    expect(fetch).toHaveBeenCalledTimes(1)
    notices.clear()
  })

  it('cancel asks the core once; the run shows cancelled when the core says so', async () => {
    vi.useFakeTimers()
    const fetch = vi.fn(async (url: string) => {
      if (url.endsWith('notice_batch_start')) return reply(200, status('running', 0))
      if (url.endsWith('notice_run_cancel')) return reply(200, status('running', 5))
      return reply(200, status('cancelled', 10))
    })
    vi.stubGlobal('fetch', fetch)
    const notices = useNoticesStore()
    await notices.startBatch(FILTER)
    await Promise.all([notices.cancel(), notices.cancel()])
    expect(notices.cancelling).toBe(true)
    expect(notices.run?.printed).toBe(5)
    await vi.advanceTimersByTimeAsync(POLL_MS)
    expect(notices.run?.state).toBe('cancelled')
    expect(notices.cancelling).toBe(false)
    expect(calls(fetch).filter(([u]) => u.endsWith('notice_run_cancel'))).toEqual([['/api/call/notice_run_cancel', { token: 'tok', run: 12 }]])
  })

  it('a failed poll is kept and the polling goes on; clear() stops it and forgets the run', async () => {
    vi.useFakeTimers()
    let n = 0
    const fetch = vi.fn(async () => {
      n++
      if (n === 1) return reply(200, status('running', 0))
      if (n === 2) return reply(500, { code: 'STORE_ERROR', message: 'busy', params: {} })
      return reply(200, status('running', 20))
    })
    vi.stubGlobal('fetch', fetch)
    const notices = useNoticesStore()
    await notices.startBatch(FILTER)
    await vi.advanceTimersByTimeAsync(POLL_MS)
    expect(notices.pollError?.code).toBe('STORE_ERROR')
    await vi.advanceTimersByTimeAsync(POLL_MS)
    expect(notices.pollError).toBeNull()
    expect(notices.run?.printed).toBe(20)
    notices.clear()
    await vi.advanceTimersByTimeAsync(POLL_MS * 3)
    expect(fetch).toHaveBeenCalledTimes(3)
    expect(notices.run).toBeNull()
  })

  it('the single notice commands carry the token and the account', async () => {
    const fetch = vi.fn(async () => reply(200, { notice_no: 'DEMO-01-CJ000001-0001', printer: 'p', total: '1.00' }))
    vi.stubGlobal('fetch', fetch)
    const notices = useNoticesStore()
    await notices.api.start({ ...FILTER, skip_notified_days: null }, 5)
    await notices.api.print('3100000001')
    await notices.api.log({ account_no: '3100000001', limit: 3 })
    expect(calls(fetch)).toEqual([
      ['/api/call/notice_batch_start', { token: 'tok', filter: { ...FILTER, skip_notified_days: null }, per_pdf: 5 }],
      ['/api/call/print_notice', { token: 'tok', account_no: '3100000001' }],
      ['/api/call/notice_log', { token: 'tok', account_no: '3100000001', limit: 3 }],
    ])
  })
})

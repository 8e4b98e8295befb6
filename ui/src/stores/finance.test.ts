import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'

const calls: { cmd: string; req: unknown }[] = []
let answer: (cmd: string, req: unknown) => unknown = () => null

vi.mock('@/api/call', async (importOriginal) => {
  const real = await importOriginal<typeof import('@/api/call')>()
  return {
    ...real,
    call: vi.fn(async (cmd: string, req: unknown) => {
      calls.push({ cmd, req })
      return answer(cmd, req)
    }),
  }
})

import { useFinanceStore } from './finance'

const SESSION = { token: 'tok-1', username: 'finance1', display_name: '财务一', role: 'finance', expires_at: '2026-03-02T17:30:00+08:00' }

beforeEach(() => {
  setActivePinia(createPinia())
  calls.length = 0
  answer = (cmd) => (cmd === 'finance_login' ? SESSION : null)
})

describe('the finance session', () => {
  it('logs in at the enrolled ledger (no URL) or at the one typed, and keeps using it', async () => {
    const f = useFinanceStore()
    await f.login('finance1', 'pw', '  ')
    expect(calls[0]).toEqual({ cmd: 'finance_login', req: { username: 'finance1', password: 'pw', url: null } })
    expect(f.loggedIn).toBe(true)
    expect(f.readOnly).toBe(false)
    await f.logout()
    await f.login('finance1', 'pw', ' https://ledger.example.cn:8443 ')
    answer = () => ({ items: [], total: 0, total_amount: '0.00' })
    await f.api.list({ state: 'at_ledger' })
    expect(calls.at(-1)).toEqual({
      cmd: 'finance_refunds',
      req: { finance_token: 'tok-1', url: 'https://ledger.example.cn:8443', query: { state: 'at_ledger' } },
    })
  })

  it('an auditor reads only', async () => {
    answer = () => ({ ...SESSION, role: 'auditor' })
    const f = useFinanceStore()
    await f.login('audit1', 'pw', null)
    expect(f.readOnly).toBe(true)
  })

  it('UNAUTHORIZED from the ledger ends the session with the reason; other refusals do not', async () => {
    const f = useFinanceStore()
    await f.login('finance1', 'pw', null)
    answer = () => {
      throw { code: 'FINANCE_REFUSED', message: '', params: { ledger_code: 'CONFLICT', message: 'finance2 approved it' } }
    }
    await expect(f.api.decide('r1', true, null)).rejects.toMatchObject({ code: 'FINANCE_REFUSED' })
    expect(f.loggedIn).toBe(true)
    answer = () => {
      throw { code: 'FINANCE_REFUSED', message: '', params: { ledger_code: 'UNAUTHORIZED', message: 'session ended' } }
    }
    await expect(f.api.detail('r1')).rejects.toMatchObject({ code: 'FINANCE_REFUSED' })
    expect(f.loggedIn).toBe(false)
    expect(f.endedBy?.params.ledger_code).toBe('UNAUTHORIZED')
  })

  it('log-out ends the session at the ledger too, and keeps nothing', async () => {
    const f = useFinanceStore()
    await f.login('finance1', 'pw', null)
    await f.logout()
    expect(calls.at(-1)).toEqual({ cmd: 'finance_logout', req: { finance_token: 'tok-1', url: null } })
    expect(f.session).toBeNull()
  })

  it('left idle: logged out at the ledger, and the log-in says why', async () => {
    const f = useFinanceStore()
    await f.login('finance1', 'pw', null)
    await f.idleLogout()
    expect(calls.at(-1)?.cmd).toBe('finance_logout')
    expect(f.loggedIn).toBe(false)
    expect(f.endedIdle).toBe(true)
    await f.login('finance1', 'pw', null)
    expect(f.endedIdle).toBe(false)
  })
})

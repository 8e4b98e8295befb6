import { describe, expect, it } from 'vitest'
import type { SyncStatus } from '@/bindings/SyncStatus'
import { looksLikeLedgerUrl, shortInstant, syncLine } from './sync'

const TODAY = '2026-03-01'

function status(over: Partial<SyncStatus>): SyncStatus {
  return {
    enrolled: true,
    ledger_url: 'https://ledger.example.cn:8443/',
    last_success: null,
    last_attempt: null,
    waiting: 0,
    last_error: null,
    consecutive_failures: 0,
    cursor: '',
    flagged: 0,
    ...over,
  }
}

const OFFLINE = { code: 'SYNC_OFFLINE', message: 'connection refused', retryable: true }
const UNAUTHORIZED = { code: 'SYNC_UNAUTHORIZED', message: 'token revoked', retryable: false }

describe('syncLine', () => {
  it.each([
    ['not enrolled is grey whatever waits', status({ enrolled: false, ledger_url: null, waiting: 7 }), 'off', 'notEnrolled', {}],
    ['synced today shows the time', status({ last_success: '2026-03-01T10:05:09+08:00' }), 'ok', 'synced', { at: '10:05' }],
    ['synced another day shows the date', status({ last_success: '2026-02-28T17:30:00+08:00' }), 'ok', 'synced', { at: '2026-02-28 17:30' }],
    ['events waiting, no failure', status({ waiting: 2, last_success: '2026-03-01T10:05:00+08:00' }), 'pending', 'waiting', { n: 2 }],
    ['enrolled, never synced', status({}), 'pending', 'neverSynced', {}],
    ['offline with events waiting', status({ waiting: 3, last_error: OFFLINE, consecutive_failures: 2 }), 'offline', 'offline', { n: 3 }],
    ['offline with nothing waiting', status({ last_error: OFFLINE }), 'offline', 'offlineNone', { n: 0 }],
    ['another retryable failure is amber but not called offline', status({ waiting: 1, last_error: { code: 'SYNC_KEYRING', message: 'k', retryable: true } }), 'offline', 'failed', { n: 1 }],
    ['a permanent failure is red', status({ waiting: 1, last_error: UNAUTHORIZED }), 'error', 'failed', { n: 1 }],
  ] as const)('%s', (_name, s, tone, key, params) => {
    const line = syncLine(s, TODAY)
    expect(line.tone).toBe(tone)
    expect(line.key).toBe(key)
    expect(line.params).toEqual(params)
    expect(line.error).toEqual(s.enrolled ? s.last_error : null)
  })
})

describe('shortInstant', () => {
  it('keeps what it cannot read', () => expect(shortInstant('garbage', TODAY)).toBe('garbage'))
})

describe('looksLikeLedgerUrl', () => {
  it.each(['https://ledger.example.cn:8443', 'http://10.1.2.3:8080/', ' https://ledger.example.cn/sync/ '])('accepts %s', (u) =>
    expect(looksLikeLedgerUrl(u)).toBe(true),
  )
  it.each(['', 'ledger.example.cn', 'ftp://ledger.example.cn', 'https://', 'https://user:pw@ledger.example.cn', 'https://a b'])(
    'refuses %j',
    (u) => expect(looksLikeLedgerUrl(u)).toBe(false),
  )
})

import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import SyncStatusBar from './SyncStatusBar.vue'
import { messages } from '@/i18n'
import { ApiError } from '@/api/call'
import type { SyncStatus } from '@/bindings/SyncStatus'
import type { FlaggedEvent } from '@/bindings/FlaggedEvent'

const ENROLLED: SyncStatus = {
  enrolled: true,
  ledger_url: 'https://ledger.example.cn:8443/',
  last_success: '2026-03-01T10:05:00+08:00',
  last_attempt: '2026-03-01T10:05:00+08:00',
  waiting: 0,
  last_error: null,
  consecutive_failures: 0,
  cursor: 'c42',
  flagged: 0,
}
const NOT_ENROLLED: SyncStatus = { ...ENROLLED, enrolled: false, ledger_url: null, last_success: null, last_attempt: null }
const OFFLINE: SyncStatus = {
  ...ENROLLED,
  last_attempt: '2026-03-01T10:09:00+08:00',
  waiting: 3,
  last_error: { code: 'SYNC_OFFLINE', message: 'the central ledger cannot be reached (connection refused)', retryable: true },
  consecutive_failures: 2,
}

type Props = {
  flaggedList?: FlaggedEvent[] | null
  status: SyncStatus | null
  today?: string
  loadError?: ApiError | null
  syncing?: boolean
  nowError?: ApiError | null
  showFlagged?: boolean
}

function setup(p: Props, locale: 'zh-CN' | 'en' = 'zh-CN') {
  return mount(SyncStatusBar, {
    props: { today: '2026-03-01', loadError: null, syncing: false, nowError: null, showFlagged: false, ...p },
    global: { plugins: [createI18n({ legacy: false, locale, messages })] },
  })
}

describe('SyncStatusBar', () => {
  it('enrolled and synced: green "已同步 HH:MM" and 立即同步', () => {
    const w = setup({ status: ENROLLED })
    expect(w.get('[data-testid="sync-status"]').attributes('data-tone')).toBe('ok')
    expect(w.get('[data-testid="sync-text"]').text()).toBe('已同步 10:05')
    expect(w.get('[data-testid="sync-now"]').text()).toBe('立即同步')
    expect(w.find('[data-testid="sync-flagged"]').exists()).toBe(false)
  })

  it('offline with events waiting: amber "离线，3 笔待上传", the error in Chinese by its code', async () => {
    const w = setup({ status: OFFLINE })
    expect(w.get('[data-testid="sync-status"]').attributes('data-tone')).toBe('offline')
    expect(w.get('[data-testid="sync-text"]').text()).toBe('离线，3 笔待上传')
    const state = w.get('[data-testid="sync-state"]')
    const expected = '无法连接账务中心（网络中断或账务中心繁忙）：收费不受影响，网络恢复后自动上传'
    expect(state.attributes('title')).toBe(expected)
    expect(w.find('[data-testid="sync-details"]').exists()).toBe(false)
    await state.trigger('click')
    expect(w.get('[data-testid="sync-error"]').text()).toBe(expected)
    expect(w.get('[data-testid="sync-details"]').text()).not.toContain('connection refused')
    expect(w.get('[data-testid="sync-waiting"]').text()).toBe('3')
    expect(w.get('[data-testid="sync-details"]').text()).toContain('2026-03-01 10:09')
    await w.get('[data-testid="sync-status"]').trigger('keydown', { key: 'Escape' })
    expect(w.find('[data-testid="sync-details"]').exists()).toBe(false)
  })

  it('not enrolled: grey "未接入账务中心", no 立即同步, a hint where to enrol', async () => {
    const w = setup({ status: NOT_ENROLLED, showFlagged: true })
    expect(w.get('[data-testid="sync-status"]').attributes('data-tone')).toBe('off')
    expect(w.get('[data-testid="sync-text"]').text()).toBe('未接入账务中心')
    expect(w.find('[data-testid="sync-now"]').exists()).toBe(false)
    await w.get('[data-testid="sync-state"]').trigger('click')
    expect(w.get('[data-testid="sync-not-enrolled-hint"]').text()).toContain('设置（F11）')
  })

  it.each([
    ['SYNC_UNAUTHORIZED', false, 'error', '同步失败，1 笔待上传', '重新注册'],
    ['SYNC_REFUSED', false, 'error', '同步失败，1 笔待上传', '账务中心拒绝了本终端的请求'],
    ['SYNC_KEYRING', true, 'offline', '同步失败，1 笔待上传', '密钥环'],
    ['SYNC_BAD_REPLY', true, 'offline', '同步失败，1 笔待上传', '无法识别'],
    ['SYNC_PUSH_FIRST', true, 'offline', '同步失败，1 笔待上传', '待上传'],
  ])('%s is translated and coloured by whether retrying helps', (code, retryable, tone, text, words) => {
    const w = setup({ status: { ...ENROLLED, waiting: 1, last_error: { code, message: 'english', retryable } } })
    expect(w.get('[data-testid="sync-status"]').attributes('data-tone')).toBe(tone)
    expect(w.get('[data-testid="sync-text"]').text()).toBe(text)
    const title = w.get('[data-testid="sync-state"]').attributes('title') ?? ''
    expect(title).toContain(words)
    expect(title).not.toContain('english')
  })

  it('flagged events are shown to whoever reviews them', () => {
    const flagged = { ...ENROLLED, flagged: 2 }
    expect(setup({ status: flagged, showFlagged: true }).get('[data-testid="sync-flagged"]').text()).toBe('2 笔待复核')
    expect(setup({ status: flagged, showFlagged: false }).find('[data-testid="sync-flagged"]').exists()).toBe(false)
  })

  it('立即同步 asks the counter to sync, and a failure opens the details', async () => {
    const w = setup({ status: ENROLLED })
    await w.get('[data-testid="sync-now"]').trigger('click')
    expect(w.emitted('syncNow')).toHaveLength(1)
    await w.setProps({ syncing: true })
    expect(w.get('[data-testid="sync-now"]').text()).toBe('正在同步…')
    await w.setProps({
      syncing: false,
      nowError: new ApiError({ code: 'SYNC_OFFLINE', message: 'x', params: { detail: 'timeout' } }),
    })
    expect(w.get('[data-testid="sync-now-error"]').text()).toContain('无法连接账务中心')
  })

  it('before the first answer, and when the status cannot be read', () => {
    expect(setup({ status: null }).get('[data-testid="sync-text"]').text()).toBe('正在读取同步状态…')
    const w = setup({ status: null, loadError: new ApiError({ code: 'STORE_ERROR', message: 'db', params: {} }) })
    expect(w.get('[data-testid="sync-text"]').text()).toBe('无法读取同步状态')
    expect(w.get('[data-testid="sync-status"]').attributes('data-tone')).toBe('error')
  })

  it('speaks English when asked', () => {
    expect(setup({ status: OFFLINE }, 'en').get('[data-testid="sync-text"]').text()).toBe('Offline, 3 event(s) waiting to upload')
    expect(setup({ status: ENROLLED }, 'en').get('[data-testid="sync-text"]').text()).toBe('Synced 10:05')
  })

  it("a supervisor opens the flagged events: receipt (or kind and number) and the ledger's reason", async () => {
    const flaggedList: FlaggedEvent[] = [
      {
        event_id: 'e1',
        seq: 7,
        kind: 'payment',
        receipt_no: 'DEMO-01-2026-000007',
        reason: 'allocation_differs: another payment got there first',
        flagged_at: '2026-03-01T10:06:00+08:00',
      },
      { event_id: 'e2', seq: 9, kind: 'deposit', receipt_no: null, reason: 'id_reused', flagged_at: '2026-03-01T10:07:00+08:00' },
    ]
    const w = setup({ status: { ...ENROLLED, flagged: 2 }, showFlagged: true })
    await w.get('[data-testid="sync-flagged"]').trigger('click')
    expect(w.emitted('openDetails')).toHaveLength(1)
    expect(w.find('[data-testid="sync-flagged-list"]').exists()).toBe(false)
    await w.setProps({ flaggedList })
    const items = w.findAll('[data-testid="sync-flagged-list"] li').map((li) => li.text())
    expect(items).toEqual([
      'DEMO-01-2026-000007 allocation_differs: another payment got there first',
      'deposit 第 9 笔 id_reused',
    ])
  })

  it('a cashier sees no flagged count and asks for no list', async () => {
    const w = setup({ status: { ...ENROLLED, flagged: 2 }, showFlagged: false })
    expect(w.find('[data-testid="sync-flagged"]').exists()).toBe(false)
    await w.get('[data-testid="sync-state"]').trigger('click')
    expect(w.emitted('openDetails')).toBeUndefined()
  })
})

// What the status bar says about sync with the central ledger (账务中心), decided from the core's
// SyncStatus alone, so that every state is a table-tested case (sync.test.ts).
//
// - off (grey): not enrolled; sync is off until an administrator enrols this terminal in Settings.
// - ok (green): the last round succeeded and nothing waits: "已同步 HH:MM".
// - pending (blue): events wait but the last round did not fail (the next round sends them).
// - offline (amber): the last attempt failed with an error worth retrying: "离线，N 笔待上传" when
//   the network or a busy ledger is the reason (SYNC_OFFLINE), "同步失败，N 笔待上传" otherwise;
//   the counter keeps working.
// - error (red): the last attempt failed with an error that needs someone (refused, token no longer
//   valid, keyring): retrying alone will not fix it.
import type { SyncErrorInfo } from '@/bindings/SyncErrorInfo'
import type { SyncStatus } from '@/bindings/SyncStatus'

export type SyncTone = 'off' | 'ok' | 'pending' | 'offline' | 'error'

export type SyncLine = {
  tone: SyncTone
  /** i18n key under `sync.` and its named params. */
  key: string
  params: Record<string, string | number>
  /** The last error to explain on hover/click, or null. */
  error: SyncErrorInfo | null
}

/** "2026-03-01T10:05:00+08:00" → "10:05" on `today` (YYYY-MM-DD), else "2026-03-01 10:05". */
export function shortInstant(at: string, today: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(at)
  if (!m) return at
  return m[1] === today ? m[2]! : `${m[1]} ${m[2]}`
}

export function syncLine(s: SyncStatus, today: string): SyncLine {
  if (!s.enrolled) return { tone: 'off', key: 'notEnrolled', params: {}, error: null }
  const n = s.waiting
  if (s.last_error) {
    // Amber when retrying may help, red when someone must act; "离线" only when the network (or a
    // busy ledger) is the reason, "同步失败" for anything else (e.g. the keyring).
    const tone: SyncTone = s.last_error.retryable ? 'offline' : 'error'
    const key = (s.last_error.code === 'SYNC_OFFLINE' ? 'offline' : 'failed') + (n > 0 ? '' : 'None')
    return { tone, key, params: { n }, error: s.last_error }
  }
  if (n > 0) return { tone: 'pending', key: 'waiting', params: { n }, error: null }
  if (s.last_success) return { tone: 'ok', key: 'synced', params: { at: shortInstant(s.last_success, today) }, error: null }
  return { tone: 'pending', key: 'neverSynced', params: {}, error: null }
}

/** A ledger URL the core will accept, roughly: http(s)://host… (the core checks it fully). */
export function looksLikeLedgerUrl(url: string): boolean {
  return /^https?:\/\/[^/\s?#@]+(\/\S*)?$/i.test(url.trim())
}

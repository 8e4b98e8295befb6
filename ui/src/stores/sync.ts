// 同步状态 as the status bar shows it: polled from the core every few seconds while someone is
// logged in, and right after each money operation. The background sync itself runs in the shell
// (the core's runner); this store only reads its state and offers "立即同步".
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import { call, type ApiError } from '@/api/call'
import type { SyncReport } from '@/bindings/SyncReport'
import type { SyncStatus } from '@/bindings/SyncStatus'
import type { FlaggedEvent } from '@/bindings/FlaggedEvent'
import { useSessionStore } from './session'

/** How often the status bar asks (the runner itself syncs every 30 s, sooner after a payment). */
export const POLL_MS = 5000

export const useSyncStore = defineStore('sync', () => {
  const status = ref<SyncStatus | null>(null)
  /** Why the status could not be read (the last poll failed), or null. */
  const loadError = shallowRef<ApiError | null>(null)
  /** "立即同步" is running. */
  const syncing = ref(false)
  /** The last "立即同步" that failed, until the next one. */
  const nowError = shallowRef<ApiError | null>(null)
  /** The events the ledger flagged (待复核), read when a reviewer opens the details. */
  const flaggedList = ref<FlaggedEvent[] | null>(null)
  let timer: ReturnType<typeof setInterval> | null = null
  let inFlight: Promise<void> | null = null

  /** Read the status now (a poll already in flight is shared, not doubled). */
  function refresh(): Promise<void> {
    if (inFlight) return inFlight
    const session = useSessionStore()
    inFlight = session
      .authed((token) => call('sync_status', { token }))
      .then(
        (s) => {
          status.value = s
          loadError.value = null
        },
        (e: ApiError) => {
          loadError.value = e
        },
      )
      .finally(() => {
        inFlight = null
      })
    return inFlight
  }

  /** One round now; the status is read again afterwards whatever happened. */
  async function syncNow(): Promise<SyncReport | null> {
    if (syncing.value) return null
    const session = useSessionStore()
    syncing.value = true
    nowError.value = null
    try {
      return await session.authed((token) => call('sync_now', { token }))
    } catch (e) {
      nowError.value = e as ApiError
      return null
    } finally {
      syncing.value = false
      await refresh()
    }
  }

  /** Read the flagged events (supervisors, reviewers, administrators; the core refuses a cashier). */
  async function loadFlagged(): Promise<void> {
    const session = useSessionStore()
    try {
      flaggedList.value = await session.authed((token) => call('sync_flagged', { token }))
    } catch {
      flaggedList.value = null
    }
  }

  /** A status the core just returned (e.g. after enrolment). */
  function set(s: SyncStatus): void {
    status.value = s
    loadError.value = null
  }

  function start(every = POLL_MS): void {
    stop()
    void refresh()
    timer = setInterval(() => void refresh(), every)
  }

  function stop(): void {
    if (timer !== null) clearInterval(timer)
    timer = null
  }

  function clear(): void {
    stop()
    status.value = null
    loadError.value = null
    nowError.value = null
    flaggedList.value = null
  }

  return { status, loadError, syncing, nowError, flaggedList, refresh, syncNow, loadFlagged, set, start, stop, clear }
})

// 催费: the arrears notice commands with this session's token, and the batch printing now.
//
// A single notice (F4 at the counter, cashiers and supervisors) is previewed (`notice_pdf`, numbered
// 预览, nothing logged) and then printed and logged (`print_notice`). A batch (催费, supervisors only)
// runs in the core's background: `startBatch` starts it and then asks `notice_run_status` every
// POLL_MS until it ends, so that the progress bar moves whether the batch dialog is open or not
// (closing it does not stop the printing; reopening shows the same run). `cancel` asks the core to
// stop after the PDF in hand: what was printed stays logged. Cleared at log-out.
//
// Run ids are the core's numbers, passed back exactly as received.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { call, toApiError, type ApiError } from '@/api/call'
import type { NoticeFilter } from '@/bindings/NoticeFilter'
import type { NoticeLogEntry } from '@/bindings/NoticeLogEntry'
import type { NoticePdf } from '@/bindings/NoticePdf'
import type { NoticePreview } from '@/bindings/NoticePreview'
import type { NoticeRunStatus } from '@/bindings/NoticeRunStatus'
import type { PrintSettings } from '@/bindings/PrintSettings'
import type { PrintedNotice } from '@/bindings/PrintedNotice'
import { useSessionStore } from './session'

/** How often a running batch is asked where it stands. */
export const POLL_MS = 300

/** What the notice log is asked for: one account's notices (a dispute), one run's, or the latest. */
export type NoticeLogQuery = { account_no?: string; run?: NoticeRunStatus['run']; limit: number }

/** The notice commands as the dialogs use them (the token added here). */
export type NoticesApi = {
  pdf: (accountNo: string) => Promise<NoticePdf>
  print: (accountNo: string) => Promise<PrintedNotice>
  preview: (filter: NoticeFilter) => Promise<NoticePreview>
  /** `perPdf`: notices per PDF (print job); the core's 50 when absent. */
  start: (filter: NoticeFilter, perPdf?: number) => Promise<NoticeRunStatus>
  status: (run: NoticeRunStatus['run']) => Promise<NoticeRunStatus>
  cancel: (run: NoticeRunStatus['run']) => Promise<NoticeRunStatus>
  log: (query: NoticeLogQuery) => Promise<NoticeLogEntry[]>
  /** The counter's printer, named in the batch's confirmation. */
  printSettings: () => Promise<PrintSettings>
}

/** A run that has ended (the core writes nothing more to it). */
export function runEnded(s: Pick<NoticeRunStatus, 'state'>): boolean {
  return s.state !== 'running'
}

export const useNoticesStore = defineStore('notices', () => {
  const api: NoticesApi = {
    pdf: (accountNo) => useSessionStore().authed((token) => call('notice_pdf', { token, account_no: accountNo })),
    print: (accountNo) => useSessionStore().authed((token) => call('print_notice', { token, account_no: accountNo })),
    preview: (filter) => useSessionStore().authed((token) => call('notice_preview', { token, filter })),
    start: (filter, perPdf) =>
      useSessionStore().authed((token) =>
        call('notice_batch_start', perPdf === undefined ? { token, filter } : { token, filter, per_pdf: perPdf }),
      ),
    status: (run) => useSessionStore().authed((token) => call('notice_run_status', { token, run })),
    cancel: (run) => useSessionStore().authed((token) => call('notice_run_cancel', { token, run })),
    log: (query) => useSessionStore().authed((token) => call('notice_log', { token, ...query })),
    printSettings: () => useSessionStore().authed((token) => call('print_settings', { token })),
  }

  /** The batch started from this counter in this session (running or ended), or null. */
  const run = ref<NoticeRunStatus | null>(null)
  /** The last status call failed (the run goes on in the core; the next poll tries again). */
  const pollError = shallowRef<ApiError | null>(null)
  /** The cancel was asked for and the core has not yet said the run ended. */
  const cancelling = ref(false)
  const running = computed(() => run.value !== null && !runEnded(run.value))
  let timer: ReturnType<typeof setTimeout> | null = null
  /** Bumped by clear(): a poll answered after it is dropped. */
  let generation = 0

  function stopPolling(): void {
    if (timer !== null) clearTimeout(timer)
    timer = null
  }

  function schedule(): void {
    stopPolling()
    const gen = generation
    timer = setTimeout(() => void poll(gen), POLL_MS)
  }

  function update(s: NoticeRunStatus): void {
    run.value = s
    if (runEnded(s)) {
      cancelling.value = false
      stopPolling()
    }
  }

  async function poll(gen: number): Promise<void> {
    timer = null
    const r = run.value
    if (r === null || runEnded(r)) return
    try {
      const s = await api.status(r.run)
      if (gen !== generation) return
      pollError.value = null
      update(s)
    } catch (e) {
      if (gen !== generation) return
      const err = toApiError(e)
      pollError.value = err
      // A session that ended or locked stops the polling; the lock screen's unlock resumes it.
      if (err.code === 'SESSION_EXPIRED' || err.code === 'SESSION_LOCKED' || err.code === 'NOTICE_RUN_NOT_FOUND') return
    }
    if (gen === generation && run.value !== null && !runEnded(run.value)) schedule()
  }

  /** 打印: start a batch with these filters; rejects with the ApiError (nothing started). */
  async function startBatch(filter: NoticeFilter, perPdf?: number): Promise<NoticeRunStatus> {
    // One batch at a time from this counter: the dialog offers no 打印 while one prints.
    if (run.value !== null && !runEnded(run.value)) return run.value
    const s = await api.start(filter, perPdf)
    pollError.value = null
    cancelling.value = false
    run.value = s
    if (!runEnded(s)) schedule()
    return s
  }

  /** 取消: the core stops after the PDF in hand. */
  async function cancel(): Promise<void> {
    const r = run.value
    if (r === null || runEnded(r) || cancelling.value) return
    cancelling.value = true
    try {
      update(await api.cancel(r.run))
    } catch (e) {
      cancelling.value = false
      throw toApiError(e)
    }
  }

  /** Ask again at once (e.g. after an unlock, or a failed poll). */
  function resume(): void {
    if (running.value && timer === null) void poll(generation)
  }

  /** Forget the ended run (the dialog starts a new one). */
  function dismiss(): void {
    if (run.value !== null && runEnded(run.value)) {
      run.value = null
      pollError.value = null
    }
  }

  function clear(): void {
    generation++
    stopPolling()
    run.value = null
    pollError.value = null
    cancelling.value = false
  }

  return { api, run, running, pollError, cancelling, startBatch, cancel, resume, dismiss, clear }
})

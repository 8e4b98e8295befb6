// What every counter dialog shares: its busy/failure state (`useBusy`), the approval-then-retry
// flow (`useApproval`), and the one rule for Enter (`ENTER_RULE` below, enforced by ModalFrame and
// by these composables, and stated in each dialog's hint line).
//
// The Enter rule (issue 18), the same in every dialog:
// - Enter moves to the next field; on the last field (or Ctrl+Enter from any field) it does the
//   dialog's primary action, the one its hint names; on a button reached with Tab it presses that
//   button.
// - The primary action runs once: while it runs, another Enter does nothing (`useBusy`), and a
//   held Enter (a key repeat) is never a new press (ModalFrame drops it).
// - A step that appears after an Enter (a result, a confirmation such as 实收核对, a 完成 panel)
//   ignores Enter for its first second (`ENTER_GUARD_MS`, ModalFrame's `step`), so that a double
//   Enter cannot confirm what nobody has read.
// - Esc goes back one step, or closes the dialog; it never reaches the counter behind.
import { nextTick, onMounted, shallowRef, ref, type Ref, type ShallowRef } from 'vue'
import { ApiError, toApiError } from '@/api/call'
import type { ApprovalInput } from '@/bindings/ApprovalInput'

/** How long a new step of a dialog ignores Enter. */
export const ENTER_GUARD_MS = 1000

export type Busy = {
  /** A call is on: the dialog says so, and its primary action does nothing until it ends. */
  busy: Ref<boolean>
  /** The last refusal, for the dialog's error line (null once a new attempt starts). */
  failure: ShallowRef<ApiError | null>
  /**
   * Run `work` once: nothing when a run is already on (a second Enter). A refusal is kept in
   * `failure` unless `handle` takes it (returns true: e.g. APPROVAL_REQUIRED opens the approval).
   * Resolves to what `work` answered, or undefined when it did not run or was refused.
   */
  run: <T>(work: () => Promise<T>, handle?: (err: ApiError) => boolean | Promise<boolean>) => Promise<T | undefined>
}

/** A dialog's busy/failure state. */
export function useBusy(): Busy {
  const busy = ref(false)
  const failure = shallowRef<ApiError | null>(null)

  async function run<T>(work: () => Promise<T>, handle?: (err: ApiError) => boolean | Promise<boolean>): Promise<T | undefined> {
    if (busy.value) return undefined
    busy.value = true
    failure.value = null
    try {
      return await work()
    } catch (e) {
      const err = toApiError(e)
      if (!(handle && (await handle(err)))) failure.value = err
      return undefined
    } finally {
      busy.value = false
    }
  }

  return { busy, failure, run }
}

export type Approval<P, R> = {
  /** The request waiting for a supervisor (ApprovalDialog is shown while it is set). */
  pending: ShallowRef<P | null>
  /** Ask for the approval of `p` now (the dialog knows it needs one, e.g. a count that differs). */
  ask: (p: P) => void
  /** The core answered APPROVAL_REQUIRED for `p`: ask for the approval; true when it did. */
  askIfRequired: (err: ApiError, p: P) => boolean
  /** ApprovalDialog's `submit`: the same request again, with the supervisor's approval. */
  submit: (approval: ApprovalInput) => Promise<R>
  /** The approval dialog closed (done, failed or cancelled): nothing waits any more. */
  settle: () => void
}

/**
 * 值班长授权, then the same request again: the dialog keeps the request the core refused with
 * APPROVAL_REQUIRED (or one it knows needs an approval), ApprovalDialog takes the supervisor's own
 * user name and password, and `send` resubmits that request with them.
 */
export function useApproval<P, R>(send: (p: P, approval: ApprovalInput) => Promise<R>): Approval<P, R> {
  const pending = shallowRef<P | null>(null)

  function ask(p: P): void {
    pending.value = p
  }

  function askIfRequired(err: ApiError, p: P): boolean {
    if (err.code !== 'APPROVAL_REQUIRED') return false
    pending.value = p
    return true
  }

  function submit(approval: ApprovalInput): Promise<R> {
    const p = pending.value
    if (p === null) {
      return Promise.reject(new ApiError({ code: 'APPROVAL_REQUIRED', message: 'nothing waits for an approval', params: {} }))
    }
    return send(p, approval)
  }

  function settle(): void {
    pending.value = null
  }

  return { pending, ask, askIfRequired, submit, settle }
}

/**
 * A dialog's onMounted: el-dialog (ModalFrame) renders its content once it is itself mounted, so
 * the fields a dialog focuses exist a tick after the dialog's own onMounted. `fn` runs then.
 */
export function onDialogMounted(fn: () => unknown): void {
  onMounted(async () => {
    await nextTick()
    await fn()
  })
}

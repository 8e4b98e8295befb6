// 财务复核: a finance reviewer's (or an auditor's) session at the central ledger. Finance staff are
// users of the ledger, not of this counter: `finance_login` sends their name and password to the
// ledger (the URL typed at log-in, or the one this counter is enrolled with) and keeps its short-lived
// session token in memory only. Every later call goes to the ledger with that token; the ledger
// checks the role, the four-eyes rule and audits. A refusal UNAUTHORIZED (the session ended, or it
// was never valid) ends the session here: back to the log-in screen with the reason.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { ApiError, call, toApiError } from '@/api/call'
import type { FinanceSession } from '@/bindings/FinanceSession'
import type { Payout } from '@/bindings/Payout'
import type { RefundDetail } from '@/bindings/RefundDetail'
import type { RefundList } from '@/bindings/RefundList'
import type { RefundQuery } from '@/bindings/RefundQuery'

/** The finance calls as the view uses them (token and URL added here). */
export type FinanceApi = {
  list: (query: RefundQuery) => Promise<RefundList>
  detail: (refundId: string) => Promise<RefundDetail>
  decide: (refundId: string, approve: boolean, reason: string | null) => Promise<RefundDetail>
  pay: (refundId: string, payout: Payout) => Promise<RefundDetail>
}

/** The ledger refused a session (wrong or ended): nothing more can be done with it. */
export function sessionRefused(err: ApiError): boolean {
  return err.code === 'FINANCE_REFUSED' && err.params.ledger_code === 'UNAUTHORIZED'
}

export const useFinanceStore = defineStore('finance', () => {
  const session = ref<FinanceSession | null>(null)
  /** The ledger's URL as typed at log-in; null: the one this counter is enrolled with. */
  const url = ref<string | null>(null)
  /** Why the reviewer is back at the log-in screen (the session ended at the ledger). */
  const endedBy = shallowRef<ApiError | null>(null)
  /** The view was left idle and logged out here (as the counter locks its screen). */
  const endedIdle = ref(false)

  const loggedIn = computed(() => session.value !== null)
  const readOnly = computed(() => session.value?.role !== 'finance')

  async function login(username: string, password: string, ledgerUrl: string | null): Promise<void> {
    const u = ledgerUrl?.trim() ? ledgerUrl.trim() : null
    const s = await call('finance_login', { username, password, url: u })
    url.value = u
    session.value = s
    endedBy.value = null
    endedIdle.value = false
  }

  async function logout(): Promise<void> {
    const s = session.value
    const u = url.value
    session.value = null
    endedBy.value = null
    if (s) {
      try {
        await call('finance_logout', { finance_token: s.token, url: u })
      } catch {
        // the session is gone on this side either way
      }
    }
  }

  /** Nobody used the finance view for the counter's idle time: log out, and say why at the log-in. */
  async function idleLogout(): Promise<void> {
    if (session.value === null) return
    await logout()
    endedIdle.value = true
  }

  function expire(err: ApiError): void {
    session.value = null
    endedBy.value = err
  }

  /** A call with the session; UNAUTHORIZED ends it. Rethrows every failure as an ApiError. */
  async function authed<T>(run: (token: string, url: string | null) => Promise<T>): Promise<T> {
    const s = session.value
    if (s === null) {
      const err = new ApiError({ code: 'FINANCE_REFUSED', message: 'not logged in', params: { ledger_code: 'UNAUTHORIZED', message: '' } })
      expire(err)
      throw err
    }
    try {
      return await run(s.token, url.value)
    } catch (e) {
      const err = toApiError(e)
      if (sessionRefused(err) && session.value === s) expire(err)
      throw err
    }
  }

  const api: FinanceApi = {
    list: (query) => authed((token, u) => call('finance_refunds', { finance_token: token, url: u, query })),
    detail: (refundId) => authed((token, u) => call('finance_refund', { finance_token: token, url: u, refund_id: refundId })),
    decide: (refundId, approve, reason) =>
      authed((token, u) => call('finance_decide', { finance_token: token, url: u, refund_id: refundId, approve, reason })),
    pay: (refundId, payout) => authed((token, u) => call('finance_pay', { finance_token: token, url: u, refund_id: refundId, payout })),
  }

  return { session, url, endedBy, endedIdle, loggedIn, readOnly, login, logout, idleLogout, expire, authed, api }
})

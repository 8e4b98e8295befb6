// 退费 at the counter: what the account on the counter can refund and what its open requests hold
// (its card's line, from `refund_context`), and the refund commands with this session's token, for
// the F3 dialog and the 退费审核 list. Only cashiers and supervisors take refunds (the core's role
// matrix); for anyone else nothing is loaded.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { call } from '@/api/call'
import type { DocumentPdf } from '@/bindings/DocumentPdf'
import type { PrintedDocument } from '@/bindings/PrintedDocument'
import type { RefundContext } from '@/bindings/RefundContext'
import type { RefundDecideRequest } from '@/bindings/RefundDecideRequest'
import type { RefundDocKind } from '@/bindings/RefundDocKind'
import type { RefundInfo } from '@/bindings/RefundInfo'
import type { RefundSubmitRequest } from '@/bindings/RefundSubmitRequest'
import type { State } from '@/bindings/State'
import { useSessionStore } from './session'

/** The refund commands as the dialogs use them (the token added here). */
export type CounterRefundsApi = {
  context: (accountNo: string) => Promise<RefundContext>
  submit: (input: Omit<RefundSubmitRequest, 'token'>) => Promise<RefundInfo>
  decide: (input: Omit<RefundDecideRequest, 'token'>) => Promise<RefundInfo>
  list: (state: State | null) => Promise<RefundInfo[]>
  /** The form or the notice as the next print would be (marked 重打 when it is one): a preview,
   * counting nothing. */
  pdf: (requestNo: string, doc: RefundDocKind) => Promise<DocumentPdf>
  /** The core prints the form or the notice on the counter's printer (`print_document`): counted,
   * 重打 after the first, audited. */
  print: (requestNo: string, doc: RefundDocKind) => Promise<PrintedDocument>
}

export const useRefundsStore = defineStore('refunds', () => {
  /** The refund context of the account on the counter, or null. */
  const context = ref<RefundContext | null>(null)
  let seq = 0

  const api: CounterRefundsApi = {
    context: (accountNo) => useSessionStore().authed((token) => call('refund_context', { token, account_no: accountNo })),
    submit: (input) => useSessionStore().authed((token) => call('submit_refund', { token, ...input })),
    decide: (input) => useSessionStore().authed((token) => call('decide_refund', { token, ...input })),
    list: (state) => useSessionStore().authed((token) => call('list_refunds', { token, state })),
    pdf: (requestNo, doc) => useSessionStore().authed((token) => call('refund_pdf', { token, request_no: requestNo, doc })),
    print: (requestNo, doc) =>
      useSessionStore().authed((token) =>
        call('print_document', { token, document: { kind: 'refund', request_no: requestNo, doc } }),
      ),
  }

  /** Read the account's context for its card; a failure leaves the card without the line. */
  async function load(accountNo: string): Promise<void> {
    const mine = ++seq
    try {
      const c = await api.context(accountNo)
      if (mine === seq) context.value = c
    } catch {
      if (mine === seq) context.value = null
    }
  }

  function clear(): void {
    seq++
    context.value = null
  }

  return { context, api, load, clear }
})

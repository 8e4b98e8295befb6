// Money taken at the counter: the last payment or vend (its result panel, and the receipt a void
// starts from). The core's PaymentDone is the truth shown; nothing here recomputes it.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { call } from '@/api/call'
import type { ApprovalInput } from '@/bindings/ApprovalInput'
import type { Method } from '@/bindings/Method'
import type { PaymentDone } from '@/bindings/PaymentDone'
import type { PaymentKind } from '@/bindings/PaymentKind'
import type { VoucherInput } from '@/bindings/VoucherInput'
import { useSessionStore } from './session'

/** What a payment dialog collects; the account and the token are added here. */
export type PaymentInput = {
  method: Method
  amount: string
  tendered: string | null
  voucher: VoucherInput | null
  /** The waiver's reason (payments only). */
  waive_late_fee: string | null
  approval: ApprovalInput | null
  /** The cashier confirmed a large 实收 or 找零 a second time (after TENDERED_CONFIRM). */
  confirm_large: boolean
}

export const usePaymentStore = defineStore('payment', () => {
  const last = ref<PaymentDone | null>(null)

  /** 缴费 (postpaid) or 售电 (prepaid). Rejects with an ApiError for the dialog to show. */
  async function take(kind: PaymentKind, accountNo: string, input: PaymentInput): Promise<PaymentDone> {
    const session = useSessionStore()
    const done = await session.authed((token) =>
      kind === 'payment'
        ? call('collect', { token, account_no: accountNo, ...input })
        : call('vend', {
            token,
            account_no: accountNo,
            method: input.method,
            amount: input.amount,
            tendered: input.tendered,
            confirm_large: input.confirm_large,
            voucher: input.voucher,
            approval: input.approval,
          }),
    )
    last.value = done
    return done
  }

  function clear(): void {
    last.value = null
  }

  return { last, take, clear }
})

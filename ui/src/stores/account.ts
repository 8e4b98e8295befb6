// The account on the counter right now: its card and what it owes today.
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import { call, type ApiError } from '@/api/call'
import type { AccountView } from '@/bindings/AccountView'
import { useSessionStore } from './session'

export const useAccountStore = defineStore('account', () => {
  const view = ref<AccountView | null>(null)
  const loading = ref(false)
  const error = shallowRef<ApiError | null>(null)
  // Only the latest request may fill the screen (a slow earlier answer must not replace it).
  let seq = 0

  async function load(accountNo: string): Promise<void> {
    const session = useSessionStore()
    const mine = ++seq
    loading.value = true
    error.value = null
    try {
      const v = await session.authed((token) => call('account_view', { token, account_no: accountNo }))
      if (mine === seq) view.value = v
    } catch (e) {
      if (mine === seq) {
        view.value = null
        error.value = e as ApiError
      }
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  function clear(): void {
    seq++
    view.value = null
    error.value = null
    loading.value = false
  }

  return { view, loading, error, load, clear }
})

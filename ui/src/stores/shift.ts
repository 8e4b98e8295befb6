// The cashier's shift (班次) at this terminal: open or not, since when, with what float. Money is
// only taken in an open shift; the core checks that too (SHIFT_NOT_OPEN).
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { call, type ApiError } from '@/api/call'
import type { ShiftInfo } from '@/bindings/ShiftInfo'
import { useSessionStore } from './session'

/** The float (备用金) proposed to a cashier at 开班 (the hall's usual change money). */
export const CASHIER_FLOAT = '500.00'

export const useShiftStore = defineStore('shift', () => {
  const shift = ref<ShiftInfo | null>(null)
  /** The answer to current_shift arrived (until then neither the 开班 panel nor the keys show). */
  const loaded = ref(false)
  const error = shallowRef<ApiError | null>(null)

  const open = computed(() => shift.value !== null && shift.value.closed_at === null)

  async function load(): Promise<void> {
    const session = useSessionStore()
    error.value = null
    try {
      shift.value = await session.authed((token) => call('current_shift', { token }))
    } catch (e) {
      error.value = e as ApiError
    } finally {
      loaded.value = true
    }
  }

  /** 开班 with a float (备用金); rejects with the ApiError for the panel to show. */
  async function start(float: string): Promise<ShiftInfo> {
    const session = useSessionStore()
    const s = await session.authed((token) => call('open_shift', { token, float }))
    shift.value = s
    error.value = null
    return s
  }

  /** After 交班: back to the 开班 panel. */
  function closed(): void {
    shift.value = null
  }

  function clear(): void {
    shift.value = null
    loaded.value = false
    error.value = null
  }

  return { shift, loaded, error, open, load, start, closed, clear }
})

// Who is logged in at this counter. The token lives in memory only: closing or reloading the
// window logs the cashier out, and nothing secret is left in the webview's storage.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { ApiError, call, toApiError } from '@/api/call'
import type { AppInfo } from '@/bindings/AppInfo'
import type { Notice } from '@/bindings/Notice'
import type { UserInfo } from '@/bindings/UserInfo'

export const useSessionStore = defineStore('session', () => {
  const token = ref<string | null>(null)
  const user = ref<UserInfo | null>(null)
  const notices = ref<Notice[]>([])
  const info = ref<AppInfo | null>(null)
  /** Why the cashier is back at the log-in screen (e.g. SESSION_EXPIRED), shown there. */
  const endedBy = shallowRef<ApiError | null>(null)

  const loggedIn = computed(() => token.value !== null && user.value !== null)

  async function loadInfo(): Promise<AppInfo> {
    const i = await call('app_info', {})
    info.value = i
    return i
  }

  async function login(username: string, password: string): Promise<void> {
    const r = await call('login', { username, password })
    token.value = r.token
    user.value = r.user
    notices.value = r.notices
    endedBy.value = null
  }

  function clear(): void {
    token.value = null
    user.value = null
    notices.value = []
  }

  async function logout(): Promise<void> {
    const t = token.value
    clear()
    endedBy.value = null
    if (t !== null) {
      try {
        await call('logout', { token: t })
      } catch {
        // the session is gone on this side either way
      }
    }
  }

  /** The session ended on the server side: back to the log-in screen with the reason. */
  function expire(err: ApiError): void {
    clear()
    endedBy.value = err
  }

  function dismissNotice(index: number): void {
    notices.value = notices.value.filter((_, i) => i !== index)
  }

  /**
   * Run a call that needs the token. SESSION_EXPIRED anywhere sends the cashier back to log in;
   * every failure is rethrown as an ApiError for the caller to show.
   */
  async function authed<T>(run: (token: string) => Promise<T>): Promise<T> {
    const t = token.value
    if (t === null) {
      const err = new ApiError({ code: 'SESSION_EXPIRED', message: 'not logged in', params: {} })
      expire(err)
      throw err
    }
    try {
      return await run(t)
    } catch (e) {
      const err = toApiError(e)
      if (err.code === 'SESSION_EXPIRED' && token.value === t) expire(err)
      throw err
    }
  }

  return { token, user, notices, info, endedBy, loggedIn, loadInfo, login, logout, expire, dismissNotice, authed }
})

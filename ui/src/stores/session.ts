// Who is logged in at this counter. The token lives in memory only: closing or reloading the
// window logs the cashier out, and nothing secret is left in the webview's storage.
//
// 锁屏: after the counter's idle time (`idleLockMinutes`, from the log-in; see idle.ts) the
// session is locked (`lock_session`) and the lock screen covers everything until the same user's
// password unlocks it (`unlock_session`) or someone logs the session out. The core refuses every
// call of a locked session with SESSION_LOCKED, so that answer, from any call, locks the screen too.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { ApiError, call, toApiError } from '@/api/call'
import type { AppInfo } from '@/bindings/AppInfo'
import type { Language } from '@/bindings/Language'
import type { Notice } from '@/bindings/Notice'
import type { UserInfo } from '@/bindings/UserInfo'
import { applyLocale, isLocale, restoreMachineLocale } from '@/i18n'

/** The core's default idle time, until a log-in says otherwise. */
export const DEFAULT_IDLE_LOCK_MINUTES = 10

export const useSessionStore = defineStore('session', () => {
  const token = ref<string | null>(null)
  const user = ref<UserInfo | null>(null)
  const notices = ref<Notice[]>([])
  const info = ref<AppInfo | null>(null)
  /** Why the cashier is back at the log-in screen (e.g. SESSION_EXPIRED), shown there. */
  const endedBy = shallowRef<ApiError | null>(null)
  /** Minutes without a key, a click or a mouse movement before the screen locks (the counter's setting). */
  const idleLockMinutes = ref(DEFAULT_IDLE_LOCK_MINUTES)
  /** The screen is locked: nothing but the lock screen answers until unlocked or logged out. */
  const locked = ref(false)
  /** The logged-in user's own language (kept with the user in the core; see i18n/index.ts). */
  const language = ref<Language | null>(null)

  const loggedIn = computed(() => token.value !== null && user.value !== null)

  async function loadInfo(): Promise<AppInfo> {
    const i = await call('app_info', {})
    info.value = i
    return i
  }

  /**
   * 今日 follows the clock: the counter's day (and name, version) is read again every `everyMs`,
   * so that the header and the dates the dialogs propose turn to the new day during an overnight
   * shift. A failed read keeps what was shown. Returns the function that stops it.
   */
  function followDay(everyMs = 60_000): () => void {
    const id = setInterval(() => void loadInfo().catch(() => undefined), everyMs)
    return () => clearInterval(id)
  }

  async function login(username: string, password: string): Promise<void> {
    const r = await call('login', { username, password })
    token.value = r.token
    user.value = r.user
    notices.value = r.notices
    idleLockMinutes.value = r.idle_lock_minutes
    locked.value = false
    endedBy.value = null
    // After the log-in the user's own language applies, whatever the log-in screen showed.
    language.value = isLocale(r.language) ? r.language : null
    if (language.value !== null) applyLocale(language.value)
  }

  function clear(): void {
    token.value = null
    user.value = null
    notices.value = []
    locked.value = false
    if (language.value !== null) restoreMachineLocale()
    language.value = null
  }

  /**
   * 界面语言: keep `lang` as the logged-in user's own language (the core stores it with the user)
   * and show it at once. Rejects with the ApiError, the screen unchanged.
   */
  async function setLanguage(lang: Language): Promise<Language> {
    const kept = await authed((t) => call('set_language', { token: t, language: lang }))
    language.value = kept
    applyLocale(kept)
    return kept
  }

  /**
   * 锁屏: cover the counter at once, then lock the session in the core (so that nothing can be
   * done with it from here either). A failure to reach the core leaves the screen locked: only the
   * password or a log-out opens it.
   */
  async function lock(): Promise<void> {
    const t = token.value
    if (t === null || locked.value) return
    locked.value = true
    try {
      await call('lock_session', { token: t })
    } catch (e) {
      const err = toApiError(e)
      if (err.code === 'SESSION_EXPIRED' && token.value === t) expire(err)
    }
  }

  /**
   * 解锁 with the locked user's own password. Rejects with the ApiError (AUTH_INVALID for a wrong
   * password, which the core counts toward the lock-out); SESSION_EXPIRED ends the session.
   */
  async function unlock(password: string): Promise<void> {
    const t = token.value
    if (t === null) return
    try {
      user.value = await call('unlock_session', { token: t, password })
      locked.value = false
    } catch (e) {
      const err = toApiError(e)
      if (err.code === 'SESSION_EXPIRED' && token.value === t) expire(err)
      throw err
    }
  }

  /** A new idle time saved in Settings applies to this session at once. */
  function setIdleLockMinutes(minutes: number): void {
    idleLockMinutes.value = minutes
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
   * Run a call that needs the token. SESSION_EXPIRED anywhere sends the cashier back to log in,
   * SESSION_LOCKED anywhere shows the lock screen; every failure is rethrown as an ApiError for
   * the caller to show.
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
      if (err.code === 'SESSION_LOCKED' && token.value === t) locked.value = true
      throw err
    }
  }

  return {
    token,
    user,
    notices,
    info,
    endedBy,
    idleLockMinutes,
    locked,
    language,
    loggedIn,
    loadInfo,
    followDay,
    login,
    logout,
    expire,
    lock,
    unlock,
    setIdleLockMinutes,
    setLanguage,
    dismissNotice,
    authed,
  }
})

// vue-i18n set-up: zh-CN by default, English on request.
//
// Whose language: a counter is shared by several people, so the language is each user's own, kept
// with the user in the core (Settings → 界面语言, `set_language`) and applied at their log-in
// (`useUserLocale`), for their session only. Before anyone logs in (the log-in screen, and the
// finance view, whose users are the ledger's) the screen shows this machine's language: the log-in
// screen's small switch, kept in localStorage (a preference, not a secret); a log-out returns to it.
import { createI18n } from 'vue-i18n'
import zhCN from './zh-CN'
import en from './en'

export type Locale = 'zh-CN' | 'en'
export const LOCALES: readonly Locale[] = ['zh-CN', 'en']
const STORAGE_KEY = 'cashdesk.locale'

export const messages = { 'zh-CN': zhCN, en }

function storedLocale(): Locale {
  try {
    const v = localStorage.getItem(STORAGE_KEY)
    if (v === 'en' || v === 'zh-CN') return v
  } catch {
    // storage unavailable: fall back to the default
  }
  return 'zh-CN'
}

export const i18n = createI18n({
  legacy: false,
  locale: storedLocale(),
  fallbackLocale: 'zh-CN',
  messages,
})

/** Show the screens in `locale` now (a logged-in user's own language: nothing is kept here). */
export function applyLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  document.documentElement.lang = locale
}

/** The machine's language, for the screens before a log-in: shown and kept in localStorage. */
export function setLocale(locale: Locale): void {
  applyLocale(locale)
  try {
    localStorage.setItem(STORAGE_KEY, locale)
  } catch {
    // not persisted; the switch still applies to this session
  }
}

/** Back to the machine's language (after a log-out: the next person starts from the log-in screen's). */
export function restoreMachineLocale(): void {
  applyLocale(storedLocale())
}

export function isLocale(value: unknown): value is Locale {
  return value === 'zh-CN' || value === 'en'
}

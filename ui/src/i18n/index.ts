// vue-i18n set-up: zh-CN by default, English on request; the choice is kept in localStorage
// (a preference of the counter, not a secret).
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

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  document.documentElement.lang = locale
  try {
    localStorage.setItem(STORAGE_KEY, locale)
  } catch {
    // not persisted; the switch still applies to this session
  }
}

import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import CounterHeader from './CounterHeader.vue'
import { messages } from '@/i18n'
import type { AppInfo } from '@/bindings/AppInfo'
import type { ShiftInfo } from '@/bindings/ShiftInfo'

const INFO: AppInfo = { terminal: 'DEMO-01', utility: '国网示范供电公司营业厅', version: '0.1.0', today: '2026-03-02', demo: true }
const SHIFT: ShiftInfo = { id: 7, terminal: 'DEMO-01', cashier: 'zhangli', opened_at: '2026-03-02T08:30:00+08:00', float: '12500.00', closed_at: null }

function setup(shift: ShiftInfo | null) {
  const i18n = createI18n({ legacy: false, locale: 'zh-CN', messages })
  return mount(CounterHeader, {
    props: { info: INFO, user: { username: 'zhangli', display_name: '张丽', role: 'cashier' }, shift },
    global: { plugins: [i18n] },
  })
}

describe('CounterHeader', () => {
  it('shows a shift opened today by its time alone, and its float grouped by thousands', () => {
    const w = setup(SHIFT)
    expect(w.get('[data-testid="shift-opened-at"]').text()).toBe('08:30')
    expect(w.get('[data-testid="shift-float-shown"]').text()).toBe('12,500.00')
  })

  it('shows the date of a shift opened on an earlier day', () => {
    const w = setup({ ...SHIFT, opened_at: '2026-03-01T22:00:00+08:00' })
    expect(w.get('[data-testid="shift-opened-at"]').text()).toBe('2026-03-01 22:00')
  })

  it('shows no shift line without a shift', () => {
    expect(setup(null).find('[data-testid="shift-info"]').exists()).toBe(false)
  })
})

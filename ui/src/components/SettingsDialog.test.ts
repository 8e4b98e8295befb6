import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import SettingsDialog from './SettingsDialog.vue'
import { messages } from '@/i18n'
import type { PrintSettings } from '@/bindings/PrintSettings'

const STORED: PrintSettings = { printer: 'counter-1', paper: 'a4' }

function setup(canEdit: boolean, save = vi.fn(async (s: PrintSettings) => s)) {
  const wrapper = mount(SettingsDialog, {
    props: { canEdit, load: async () => STORED, save },
    global: { plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })] },
    attachTo: document.body,
  })
  return { wrapper, save }
}

afterEach(() => {
  document.body.innerHTML = ''
})

describe('SettingsDialog', () => {
  it('is read-only for a cashier, with a note, and saves nothing', async () => {
    const { wrapper, save } = setup(false)
    await flushPromises()
    const printer = wrapper.get('[data-testid="settings-printer"]')
    expect((printer.element as HTMLInputElement).value).toBe('counter-1')
    expect((printer.element as HTMLInputElement).disabled).toBe(true)
    const papers = wrapper.findAll('[data-testid="settings-paper"] input[type="radio"]')
    expect(papers).toHaveLength(3)
    for (const radio of papers) expect((radio.element as HTMLInputElement).disabled).toBe(true)
    expect(wrapper.get('[data-testid="settings-read-only"]').text()).toBe('只有值班长或系统管理员可以修改打印设置')
    expect(wrapper.find('[data-testid="settings-save"]').exists()).toBe(false)
    await printer.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(save).not.toHaveBeenCalled()
    expect(wrapper.find('[data-testid="language-switch"]').exists()).toBe(true)
  })

  it('a supervisor changes the printer and the paper and saves', async () => {
    const { wrapper, save } = setup(true)
    await flushPromises()
    expect(wrapper.find('[data-testid="settings-read-only"]').exists()).toBe(false)
    await wrapper.get('[data-testid="settings-printer"]').setValue('  counter-test ')
    await wrapper.get('[data-testid="settings-paper-a5"] input').setValue(true)
    await wrapper.get('[data-testid="settings-save"]').trigger('click')
    await flushPromises()
    expect(save).toHaveBeenCalledWith({ printer: 'counter-test', paper: 'a5' })
    expect(wrapper.get('[data-testid="settings-saved"]').text()).toBe('已保存')
  })

  it('an empty printer name is saved as no printer', async () => {
    const { wrapper, save } = setup(true)
    await flushPromises()
    await wrapper.get('[data-testid="settings-printer"]').setValue('')
    await wrapper.get('[data-testid="settings-printer"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(save).toHaveBeenCalledWith({ printer: null, paper: 'a4' })
  })
})

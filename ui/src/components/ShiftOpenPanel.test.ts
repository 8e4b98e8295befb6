// 开班: a cashier is proposed the usual float; a supervisor (who opens a shift only to take money)
// types it, and Esc takes them back to the counter.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import ShiftOpenPanel from './ShiftOpenPanel.vue'
import { messages } from '@/i18n'
import { ApiError } from '@/api/call'

function setup(props: Record<string, unknown>) {
  return mount(ShiftOpenPanel, {
    props: { open: vi.fn(async () => undefined), ...props },
    attachTo: document.body,
    global: { plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })] },
  })
}

afterEach(() => {
  document.body.innerHTML = ''
})

describe('ShiftOpenPanel', () => {
  it('proposes 500.00 to a cashier, selected; Enter opens with it', async () => {
    const open = vi.fn(async () => undefined)
    const w = setup({ open })
    const input = w.get('[data-testid="shift-float"]')
    expect((input.element as HTMLInputElement).value).toBe('500.00')
    expect(document.activeElement).toBe(input.element)
    await input.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(open).toHaveBeenCalledWith('500.00')
  })

  it('proposes nothing to a supervisor and says nothing until they try; Esc goes back', async () => {
    const open = vi.fn(async () => undefined)
    const w = setup({ open, proposed: '', cancellable: true })
    const input = w.get('[data-testid="shift-float"]')
    expect((input.element as HTMLInputElement).value).toBe('')
    expect(w.get('[data-testid="shift-open-hint"]').text()).toContain('值班长需要收款时再开班')
    expect(w.find('.field-error').exists()).toBe(false)
    await input.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(open).not.toHaveBeenCalled()
    expect(w.find('.field-error').exists()).toBe(true) // an empty float is no float
    await input.setValue('300')
    await input.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(open).toHaveBeenCalledWith('300')
    await input.trigger('keydown', { key: 'Escape' })
    expect(w.emitted('cancel')).toHaveLength(1)
  })

  it('opens once for a double Enter, and shows a refusal', async () => {
    let fail: (e: unknown) => void = () => undefined
    const open = vi.fn(() => new Promise<void>((_, reject) => (fail = reject)))
    const w = setup({ open })
    const input = w.get('[data-testid="shift-float"]')
    await input.trigger('keydown', { key: 'Enter' })
    await input.trigger('keydown', { key: 'Enter' })
    expect(open).toHaveBeenCalledOnce()
    fail(new ApiError({ code: 'SHIFT_ALREADY_OPEN', message: 'open', params: {} }))
    await flushPromises()
    expect(w.find('[data-testid="shift-error"]').exists()).toBe(true)
  })
})

// ModalFrame on the real el-dialog (the unit tests' stub is turned off here): its focus trap keeps
// Tab inside the open dialog, keys never reach the counter behind it, and the Enter rule's guards.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { defineComponent, h, ref } from 'vue'
import { createI18n } from 'vue-i18n'
import ModalFrame from './ModalFrame.vue'
import { messages } from '@/i18n'

const onEnter = vi.fn()

const Counter = defineComponent({
  props: { step: { type: String, default: null } },
  emits: ['close'],
  setup(props, { emit }) {
    const open = ref(true)
    return () =>
      h('div', [
        h('button', { 'data-testid': 'behind' }, 'F5 现金缴费'),
        open.value
          ? h(
              ModalFrame,
              { title: '作废', hint: 'Enter 确认 · Esc 取消', testid: 'frame', step: props.step ?? undefined, onClose: () => emit('close') },
              () => [
                h('input', { 'data-testid': 'first' }),
                h('input', { 'data-testid': 'last', onKeydown: (e: KeyboardEvent) => e.key === 'Enter' && onEnter() }),
              ],
            )
          : null,
      ])
  },
})

function setup(step: string | null = null) {
  return mount(Counter, {
    props: { step: step ?? undefined },
    attachTo: document.body,
    global: { plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })], stubs: { ElDialog: false } },
  })
}

function key(el: Element, init: KeyboardEventInit) {
  const e = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init })
  el.dispatchEvent(e)
  return e
}

afterEach(() => {
  document.body.innerHTML = ''
  onEnter.mockReset()
  vi.useRealTimers()
})

describe('ModalFrame (el-dialog)', () => {
  it('is an el-dialog, modal, named by its title, with the Enter rule on its hint line', async () => {
    const w = setup()
    await flushPromises()
    const dialog = w.get('[data-testid="frame"]')
    expect(dialog.classes()).toContain('el-dialog')
    expect(w.get('[role="dialog"]').attributes('aria-modal')).toBe('true')
    expect(w.get('[role="dialog"]').attributes('aria-label')).toBe('作废')
    expect(w.get('[data-testid="enter-rule"]').text()).toContain('只确认一次')
  })

  it('Tab never leaves the open dialog for the counter behind: it wraps from the last field to the first, and back', async () => {
    const w = setup()
    await flushPromises()
    const first = w.get('[data-testid="first"]').element as HTMLInputElement
    const last = w.get('[data-testid="last"]').element as HTMLInputElement
    last.focus()
    const tab = key(last, { key: 'Tab', code: 'Tab' })
    expect(tab.defaultPrevented).toBe(true)
    expect(document.activeElement).toBe(first)
    key(first, { key: 'Tab', code: 'Tab', shiftKey: true })
    expect(document.activeElement).toBe(last)
    expect(document.activeElement).not.toBe(w.get('[data-testid="behind"]').element)
  })

  it('keys pressed inside stay inside: the counter never sees them; Esc closes this dialog', async () => {
    const w = setup()
    await flushPromises()
    const seen = vi.fn()
    window.addEventListener('keydown', seen)
    const first = w.get('[data-testid="first"]').element
    const f5 = key(first, { key: 'F5' })
    expect(f5.defaultPrevented).toBe(true) // not a page reload
    key(first, { key: 'Tab', code: 'Tab' })
    key(first, { key: 'Escape' })
    window.removeEventListener('keydown', seen)
    expect(seen).not.toHaveBeenCalled()
    expect(w.emitted('close')).toHaveLength(1)
  })

  it('a held Enter (a key repeat) is never a new press', async () => {
    const w = setup()
    await flushPromises()
    const last = w.get('[data-testid="last"]').element
    key(last, { key: 'Enter', repeat: true })
    expect(onEnter).not.toHaveBeenCalled()
    key(last, { key: 'Enter' })
    expect(onEnter).toHaveBeenCalledOnce()
  })

  it('a new step ignores Enter for its first second (a double Enter), then Enter works', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
    const w = setup('form')
    await flushPromises()
    await w.setProps({ step: 'done' })
    expect(w.get('[data-testid="frame"]').attributes('data-guarded')).toBe('true')
    const last = w.get('[data-testid="last"]').element
    key(last, { key: 'Enter' })
    expect(onEnter).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1000)
    await flushPromises()
    expect(w.get('[data-testid="frame"]').attributes('data-guarded')).toBe('false')
    key(last, { key: 'Enter' })
    expect(onEnter).toHaveBeenCalledOnce()
  })
})

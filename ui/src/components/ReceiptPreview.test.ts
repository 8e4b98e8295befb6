// The receipt preview's copies (联) as tabs, one per copy, reached and changed by keyboard.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import { messages } from '@/i18n'

vi.mock('@/pdf/render', () => ({
  openPdf: vi.fn(async () => ({ pages: 6, draw: vi.fn(async () => undefined), close: vi.fn(async () => undefined) })),
}))

import ReceiptPreview from './ReceiptPreview.vue'

const COPIES = ['第一联 存根联', '第二联 客户联', '第三联 记账联']

async function setup(copies: string[] = COPIES) {
  const w = mount(ReceiptPreview, {
    props: { pdf: 'JVBERi0=', copies },
    attachTo: document.body,
    global: { plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })] },
  })
  await flushPromises()
  return w
}

/** The pages on show: their indexes (0-based). */
function shown(w: Awaited<ReturnType<typeof setup>>): number[] {
  return w
    .findAll('[data-testid="receipt-page"]')
    .map((c, i) => ((c.element as HTMLElement).style.display === 'none' ? -1 : i))
    .filter((i) => i >= 0)
}

afterEach(() => {
  document.body.innerHTML = ''
})

describe('ReceiptPreview: a tab per copy', () => {
  it('names each copy 存根联 / 客户联 / 记账联 and shows the first copy\'s pages only', async () => {
    const w = await setup()
    const tabs = w.findAll('[role="tab"]')
    expect(tabs.map((t) => t.text())).toEqual(['存根联', '客户联', '记账联'])
    expect(tabs.map((t) => t.attributes('title'))).toEqual(COPIES)
    expect(w.get('[role="tablist"]').attributes('aria-label')).toBe('收据各联')
    expect(tabs.map((t) => t.attributes('aria-selected'))).toEqual(['true', 'false', 'false'])
    expect(shown(w)).toEqual([0, 1]) // 6 pages, 3 copies: 2 sheets each
  })

  it('is one Tab stop (the chosen copy), and ←/→, Home and End choose the copy', async () => {
    const w = await setup()
    const tabs = () => w.findAll('[role="tab"]')
    expect(tabs().map((t) => t.attributes('tabindex'))).toEqual(['0', '-1', '-1'])
    ;(tabs()[0]!.element as HTMLElement).focus()
    await tabs()[0]!.trigger('keydown', { key: 'ArrowRight' })
    await flushPromises()
    expect(tabs()[1]!.attributes('aria-selected')).toBe('true')
    expect(document.activeElement).toBe(tabs()[1]!.element)
    expect(shown(w)).toEqual([2, 3])
    await tabs()[1]!.trigger('keydown', { key: 'End' })
    await flushPromises()
    expect(shown(w)).toEqual([4, 5])
    await tabs()[2]!.trigger('keydown', { key: 'ArrowRight' }) // wraps round
    await flushPromises()
    expect(tabs()[0]!.attributes('aria-selected')).toBe('true')
    await tabs()[0]!.trigger('keydown', { key: 'ArrowLeft' })
    await flushPromises()
    expect(w.get('[data-testid="receipt-preview"]').attributes('data-copy')).toBe('2')
  })

  it('shows no tabs for the continuous form (one impression makes every copy)', async () => {
    const w = await setup([])
    expect(w.find('[role="tablist"]').exists()).toBe(false)
    expect(shown(w)).toEqual([0, 1, 2, 3, 4, 5])
  })
})

import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import NoticeLogPanel from './NoticeLogPanel.vue'
import { messages } from '@/i18n'
import { ApiError } from '@/api/call'
import type { NoticeLogEntry } from '@/bindings/NoticeLogEntry'
import type { NoticesApi } from '@/stores/notices'

function entry(no: string, kind: string, run: number): NoticeLogEntry {
  return {
    notice_no: no,
    run,
    kind,
    account_no: '3100000001',
    name: '王建国',
    printed_at: '2026-03-02T10:00:05+08:00',
    printed_by: 'super1',
    periods: 2,
    principal: '300.00',
    late_fee: '4.50',
    total: '304.50',
    pay_by: '2026-03-09',
  }
}

async function setup(log: NoticesApi['log'], run: number | null = null) {
  const w = mount(NoticeLogPanel, {
    props: { api: { log }, run },
    global: { plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })] },
    attachTo: document.body,
  })
  await flushPromises()
  return w
}

afterEach(() => {
  document.body.innerHTML = ''
})

describe('NoticeLogPanel (催费记录)', () => {
  it('lists the latest notices, single or by batch, with what they said', async () => {
    const log = vi.fn(async () => [entry('DEMO-01-CJ000004-0001', 'batch', 4), entry('DEMO-01-CJ000002-0001', 'single', 2)])
    const w = await setup(log)
    expect(log).toHaveBeenCalledWith({ limit: 200 })
    expect(w.get('[data-testid="notice-log-heading"]').text()).toBe('最近的催缴通知单（2 份）')
    const rows = w.findAll('[data-testid="notice-log-row"]')
    expect(rows[0]!.text()).toContain('批量（第 4 批）')
    expect(rows[0]!.text()).toContain('2026-03-02 10:00')
    expect(rows[0]!.text()).toContain('2026-03-09')
    expect(rows[1]!.text()).toContain('柜台单张')
  })

  it('a 户号 and Enter answer a dispute: that account\'s notices; 全部记录 goes back', async () => {
    const log = vi.fn(async () => [entry('DEMO-01-CJ000002-0001', 'single', 2)])
    const w = await setup(log, 4)
    expect(log).toHaveBeenLastCalledWith({ run: 4, limit: 200 })
    const input = w.get('[data-testid="notice-log-account"]')
    expect(document.activeElement).toBe(input.element)
    await input.setValue(' 3100000001 ')
    await input.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(log).toHaveBeenLastCalledWith({ account_no: '3100000001', limit: 200 })
    expect(w.get('[data-testid="notice-log-heading"]').text()).toBe('户号 3100000001 的催缴通知单（1 份）')
    await w.get('[data-testid="notice-log-all"]').trigger('click')
    await flushPromises()
    expect(log).toHaveBeenLastCalledWith({ limit: 200 })
  })

  it('a refusal is said in words', async () => {
    const log = vi.fn(async () => {
      throw new ApiError({ code: 'ACCOUNT_NOT_FOUND', message: 'x', params: { account_no: '3199999999' } })
    })
    const w = await setup(log)
    expect(w.get('[data-testid="notice-log-error"]').text()).toBe('未找到户号 3199999999，请核对后重新输入')
  })
})

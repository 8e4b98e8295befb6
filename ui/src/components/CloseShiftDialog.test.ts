import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import CloseShiftDialog from './CloseShiftDialog.vue'
import ApprovalDialog from './ApprovalDialog.vue'
import { messages } from '@/i18n'
import type { CloseOutcome } from '@/bindings/CloseOutcome'
import type { CloseShiftRequest } from '@/bindings/CloseShiftRequest'

type CloseInput = Omit<CloseShiftRequest, 'token'>
type Submit = (input: CloseInput) => Promise<CloseOutcome>

const SHIFT = { id: 7, terminal: 'DEMO-01', cashier: 'cashier1', opened_at: '2026-03-02T08:00:00+08:00', float: '500.00', closed_at: '2026-03-02T17:00:00+08:00' }
const OUTCOME: CloseOutcome = {
  shift: SHIFT as CloseOutcome['shift'],
  expected: '2180.32',
  counted: '2180.32',
  difference: '0.00',
  approved_by: '赵班长',
  attempts: [
    { attempt: 1, counted: '500.00', counted_at: '2026-03-02 17:01:10', matches: false },
    { attempt: 2, counted: '2180.32', counted_at: '2026-03-02 17:04:55', matches: true },
  ],
}
const NEEDS_APPROVAL = { code: 'COUNT_NEEDS_APPROVAL', message: 'this close needs a reason', params: {} }

function setup(submit: Submit) {
  return mount(CloseShiftDialog, {
    props: { submit },
    global: { plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })] },
    attachTo: document.body,
  })
}

afterEach(() => {
  document.body.innerHTML = ''
})

/** Everything on screen that looks like an amount, but for the cashier's own counting. */
function amountsShown(wrapper: ReturnType<typeof setup>): string[] {
  const clone = wrapper.element.cloneNode(true) as HTMLElement
  for (const el of clone.querySelectorAll('table.count, .counted')) el.remove()
  return clone.textContent?.match(/\d+\.\d{2}/g) ?? []
}

describe('CloseShiftDialog: the blind count', () => {
  it('counts every denomination down to the fen coins, exactly', async () => {
    const wrapper = setup(vi.fn())
    for (const d of ['100', '50', '20', '10', '5', '1', '0.5', '0.1', '0.05', '0.02', '0.01']) {
      expect(wrapper.find(`[data-testid="count-${d}"]`).exists(), d).toBe(true)
    }
    await wrapper.get('[data-testid="count-100"]').setValue('21')
    await wrapper.get('[data-testid="count-0.1"]').setValue('3')
    await wrapper.get('[data-testid="count-0.05"]').setValue('1')
    await wrapper.get('[data-testid="count-0.02"]').setValue('１') // 全角
    await wrapper.get('[data-testid="count-0.01"]').setValue('1')
    expect(wrapper.get('[data-testid="counted-total"]').text()).toBe('2,100.38') // grouped, as every amount on screen
  })

  it('a matching count closes at once and shows the outcome', async () => {
    const submit = vi.fn<Submit>().mockResolvedValueOnce({ ...OUTCOME, approved_by: null, attempts: [OUTCOME.attempts[1]!] })
    const wrapper = setup(submit)
    await wrapper.get('[data-testid="count-100"]').setValue('5')
    await wrapper.get('[data-testid="count-100"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(submit).toHaveBeenCalledWith({ counts: [{ denomination: '100', count: 5 }], reason: null, approval: null })
    expect(wrapper.get('[data-testid="close-outcome-difference"]').text()).toBe('账实相符')
    expect(wrapper.findAll('[data-testid="close-attempt"]')).toHaveLength(1)
  })

  it('COUNT_NEEDS_APPROVAL asks for a reason and a supervisor, and shows no amount nor 短款/长款', async () => {
    const submit = vi.fn<Submit>().mockRejectedValueOnce(NEEDS_APPROVAL).mockResolvedValueOnce({ ...OUTCOME, attempts: [OUTCOME.attempts[0]!], counted: '500.00', difference: '-1680.32' })
    const wrapper = setup(submit)
    await wrapper.get('[data-testid="count-100"]').setValue('5')
    await wrapper.get('[data-testid="count-100"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()

    const notice = wrapper.get('[data-testid="close-needs-approval"]').text()
    expect(notice).toContain('值班长授权')
    expect(wrapper.text()).not.toMatch(/短款|长款|应有现金/)
    expect(amountsShown(wrapper)).toEqual([])
    expect(document.activeElement).toBe(wrapper.get('[data-testid="close-reason"]').element)

    // Enter with no reason stays on the reason.
    await wrapper.get('[data-testid="close-reason"]').trigger('keydown', { key: 'Enter' })
    expect(wrapper.findComponent(ApprovalDialog).exists()).toBe(false)

    await wrapper.get('[data-testid="close-reason"]').setValue('点钞时少点一捆，复点确认')
    await wrapper.get('[data-testid="close-reason"]').trigger('keydown', { key: 'Enter' })
    const action = wrapper.get('[data-testid="approval-action"]').text()
    expect(action).toBe('交班清点')
    expect(amountsShown(wrapper)).toEqual([])

    await wrapper.get('[data-testid="approval-username"]').setValue('super1')
    await wrapper.get('[data-testid="approval-password"]').setValue('Super#2026')
    await wrapper.get('[data-testid="approval-password"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(submit.mock.calls[1]![0]).toEqual({
      counts: [{ denomination: '100', count: 5 }],
      reason: '点钞时少点一捆，复点确认',
      approval: { username: 'super1', password: 'Super#2026' },
    })
    // Now, and only now, the figures.
    expect(wrapper.get('[data-testid="close-expected"]').text()).toBe('2,180.32')
    expect(wrapper.get('[data-testid="close-outcome-difference"]').text()).toBe('短款 1,680.32')
    expect(wrapper.get('[data-testid="close-approved-by"]').text()).toBe('赵班长')
  })

  it('a recount after the refusal still goes to the supervisor, with the new counts; every count is listed after', async () => {
    const submit = vi.fn<Submit>().mockRejectedValueOnce(NEEDS_APPROVAL).mockResolvedValueOnce(OUTCOME)
    const wrapper = setup(submit)
    await wrapper.get('[data-testid="count-100"]').setValue('5')
    await wrapper.get('[data-testid="count-100"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    await wrapper.get('[data-testid="count-100"]').setValue('21')
    await wrapper.get('[data-testid="count-50"]').setValue('1')
    await wrapper.get('[data-testid="count-20"]').setValue('1')
    await wrapper.get('[data-testid="count-10"]').setValue('1')
    await wrapper.get('[data-testid="count-0.1"]').setValue('3')
    await wrapper.get('[data-testid="count-0.02"]').setValue('1')
    // Enter on a count: the reason first, then the approval (no plain resubmission any more).
    await wrapper.get('[data-testid="count-0.02"]').trigger('keydown', { key: 'Enter' })
    expect(submit).toHaveBeenCalledTimes(1)
    expect(document.activeElement).toBe(wrapper.get('[data-testid="close-reason"]').element)
    await wrapper.get('[data-testid="close-reason"]').setValue('第一次漏点抽屉里的一捆')
    await wrapper.get('[data-testid="count-0.02"]').trigger('keydown', { key: 'Enter' })
    expect(wrapper.findComponent(ApprovalDialog).exists()).toBe(true)
    await wrapper.get('[data-testid="approval-username"]').setValue('super1')
    await wrapper.get('[data-testid="approval-password"]').setValue('Super#2026')
    await wrapper.get('[data-testid="approval-password"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(submit.mock.calls[1]![0].counts).toEqual([
      { denomination: '100', count: 21 },
      { denomination: '50', count: 1 },
      { denomination: '20', count: 1 },
      { denomination: '10', count: 1 },
      { denomination: '0.1', count: 3 },
      { denomination: '0.02', count: 1 },
    ])
    const rows = wrapper.findAll('[data-testid="close-attempt"]').map((r) => r.text())
    expect(rows).toHaveLength(2)
    expect(rows[0]).toContain('第 1 次')
    expect(rows[0]).toContain('500.00')
    expect(rows[0]).toContain('不符')
    expect(rows[1]).toContain('2,180.32')
    expect(rows[1]).toContain('相符')
  })

  it('a reason the core refuses is shown, and the reason gets the cursor back', async () => {
    const submit = vi
      .fn<Submit>()
      .mockRejectedValueOnce(NEEDS_APPROVAL)
      .mockRejectedValueOnce({ code: 'INPUT_INVALID', message: 'reason: give 2-200 characters', params: { field: 'reason', reason: 'give 2-200 characters' } })
    const wrapper = setup(submit)
    await wrapper.get('[data-testid="count-100"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    await wrapper.get('[data-testid="close-reason"]').setValue('x')
    await wrapper.get('[data-testid="close-reason"]').trigger('keydown', { key: 'Enter' })
    await wrapper.get('[data-testid="approval-username"]').setValue('super1')
    await wrapper.get('[data-testid="approval-password"]').setValue('Super#2026')
    await wrapper.get('[data-testid="approval-password"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(wrapper.get('[data-testid="close-error"]').text()).toBe('原因请填写 2–200 个字')
    expect(document.activeElement).toBe(wrapper.get('[data-testid="close-reason"]').element)
  })
})

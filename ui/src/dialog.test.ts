import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '@/api/call'
import { useApproval, useBusy } from './dialog'

const refusal = (code: string) => new ApiError({ code, message: code, params: {} })

describe('useBusy: one dialog state for every dialog', () => {
  it('runs the primary action once: a second Enter while it runs does nothing', async () => {
    const { busy, run } = useBusy()
    let finish: (v: string) => void = () => undefined
    const work = vi.fn(() => new Promise<string>((r) => (finish = r)))
    const first = run(work)
    expect(busy.value).toBe(true)
    expect(await run(work)).toBeUndefined()
    expect(work).toHaveBeenCalledTimes(1)
    finish('done')
    expect(await first).toBe('done')
    expect(busy.value).toBe(false)
  })

  it('keeps a refusal for the error line, and clears it on the next attempt', async () => {
    const { failure, run } = useBusy()
    expect(await run(() => Promise.reject(refusal('RECEIPT_NOT_FOUND')))).toBeUndefined()
    expect(failure.value?.code).toBe('RECEIPT_NOT_FOUND')
    const next = run(() => Promise.resolve(1))
    expect(failure.value).toBeNull()
    expect(await next).toBe(1)
  })

  it('a refusal the dialog handles itself (e.g. an approval) is not shown as a failure', async () => {
    const { failure, run } = useBusy()
    const handle = vi.fn((e: ApiError) => e.code === 'APPROVAL_REQUIRED')
    await run(() => Promise.reject(refusal('APPROVAL_REQUIRED')), handle)
    expect(handle).toHaveBeenCalledOnce()
    expect(failure.value).toBeNull()
    await run(() => Promise.reject(refusal('VOID_REFUSED')), handle)
    expect(failure.value?.code).toBe('VOID_REFUSED')
  })

  it('turns anything thrown into an ApiError', async () => {
    const { failure, run } = useBusy()
    await run(() => Promise.reject(new Error('network down')))
    expect(failure.value).toBeInstanceOf(ApiError)
    expect(failure.value?.code).toBe('INTERNAL')
  })
})

describe('useApproval: the approval-then-retry flow', () => {
  type Input = { receipt_no: string; approval: { username: string; password: string } | null }

  it('keeps the request APPROVAL_REQUIRED refused and resubmits exactly it with the approval', async () => {
    const send = vi.fn(async (p: Input, a: { username: string; password: string }) => ({ ...p, approval: a }))
    const approval = useApproval(send)
    const input: Input = { receipt_no: 'DEMO-01-2026-000001', approval: null }
    expect(approval.askIfRequired(refusal('VOID_REFUSED'), input)).toBe(false)
    expect(approval.pending.value).toBeNull()
    expect(approval.askIfRequired(refusal('APPROVAL_REQUIRED'), input)).toBe(true)
    expect(approval.pending.value).toBe(input)
    const r = await approval.submit({ username: 'super1', password: 'pw' })
    expect(send).toHaveBeenCalledWith(input, { username: 'super1', password: 'pw' })
    expect(r.approval).toEqual({ username: 'super1', password: 'pw' })
    approval.settle()
    expect(approval.pending.value).toBeNull()
  })

  it('asks directly when the dialog knows (a count that differs), and submits nothing when nothing waits', async () => {
    const send = vi.fn(async () => 'closed')
    const approval = useApproval(send)
    await expect(approval.submit({ username: 'super1', password: 'pw' })).rejects.toMatchObject({ code: 'APPROVAL_REQUIRED' })
    expect(send).not.toHaveBeenCalled()
    approval.ask({ reason: '复点' })
    expect(await approval.submit({ username: 'super1', password: 'pw' })).toBe('closed')
  })
})

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, nextTick, ref } from 'vue'
import { mount } from '@vue/test-utils'
import { idleTimer, useIdleLock } from './idle'

const MINUTE = 60_000

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('idleTimer', () => {
  it('calls back once, exactly after the idle time', () => {
    const onIdle = vi.fn()
    idleTimer(10 * MINUTE, onIdle)
    vi.advanceTimersByTime(10 * MINUTE - 1)
    expect(onIdle).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(onIdle).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(60 * MINUTE)
    expect(onIdle).toHaveBeenCalledTimes(1)
  })

  it('activity starts the idle time again from then', () => {
    const onIdle = vi.fn()
    const timer = idleTimer(MINUTE, onIdle)
    vi.advanceTimersByTime(50_000)
    timer.touch()
    vi.advanceTimersByTime(50_000) // 100 s since the start, 50 s since the key
    expect(onIdle).not.toHaveBeenCalled()
    vi.advanceTimersByTime(9_999)
    expect(onIdle).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(onIdle).toHaveBeenCalledTimes(1)
  })

  it('many movements keep one timeout pending, not one each', () => {
    const timer = idleTimer(MINUTE, vi.fn())
    for (let i = 0; i < 500; i++) timer.touch()
    expect(vi.getTimerCount()).toBe(1)
  })

  it('a computer woken after the idle time locks at once', () => {
    const onIdle = vi.fn()
    idleTimer(MINUTE, onIdle)
    vi.setSystemTime(Date.now() + 3 * 60 * MINUTE) // suspended: the clock moved, no timer fired
    vi.advanceTimersByTime(MINUTE)
    expect(onIdle).toHaveBeenCalledTimes(1)
  })

  it('stop() ends it', () => {
    const onIdle = vi.fn()
    idleTimer(MINUTE, onIdle).stop()
    vi.advanceTimersByTime(10 * MINUTE)
    expect(onIdle).not.toHaveBeenCalled()
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('useIdleLock', () => {
  function setup(minutes = 1, active = true) {
    const m = ref(minutes)
    const a = ref(active)
    const lock = vi.fn(() => {
      a.value = false // as the session store does: locked is not active
    })
    const Probe = defineComponent({
      setup() {
        useIdleLock(m, a, lock)
        return () => h('div')
      },
    })
    const wrapper = mount(Probe, { attachTo: document.body })
    return { wrapper, minutes: m, active: a, lock }
  }

  it.each(['keydown', 'mousedown', 'mousemove', 'wheel', 'touchstart'])('%s anywhere in the window is activity', (type) => {
    const { lock, wrapper } = setup(1)
    vi.advanceTimersByTime(59_000)
    window.dispatchEvent(new Event(type))
    vi.advanceTimersByTime(59_000)
    expect(lock).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1_000)
    expect(lock).toHaveBeenCalledTimes(1)
    wrapper.unmount()
  })

  it('a key that a dialog stops from bubbling still counts', () => {
    const { lock, wrapper } = setup(1)
    const input = document.createElement('input')
    input.addEventListener('keydown', (e) => e.stopPropagation())
    document.body.appendChild(input)
    vi.advanceTimersByTime(59_000)
    input.dispatchEvent(new KeyboardEvent('keydown', { key: '5', bubbles: true }))
    vi.advanceTimersByTime(59_000)
    expect(lock).not.toHaveBeenCalled()
    wrapper.unmount()
  })

  it('nothing locks while inactive (locked, logged out); unlocking starts afresh', async () => {
    const { lock, active, wrapper } = setup(1, false)
    vi.advanceTimersByTime(10 * MINUTE)
    expect(lock).not.toHaveBeenCalled()
    active.value = true
    await nextTick()
    vi.advanceTimersByTime(MINUTE - 1)
    expect(lock).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(lock).toHaveBeenCalledTimes(1)
    // Locked: no second call however long it stays so.
    await nextTick()
    vi.advanceTimersByTime(10 * MINUTE)
    expect(lock).toHaveBeenCalledTimes(1)
    wrapper.unmount()
  })

  it('a new idle time applies at once', async () => {
    const { lock, minutes, wrapper } = setup(10)
    vi.advanceTimersByTime(MINUTE)
    minutes.value = 2
    await nextTick()
    vi.advanceTimersByTime(2 * MINUTE - 1)
    expect(lock).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(lock).toHaveBeenCalledTimes(1)
    wrapper.unmount()
  })

  it('unmounting stops the timer and the listeners', () => {
    const { lock, wrapper } = setup(1)
    wrapper.unmount()
    vi.advanceTimersByTime(10 * MINUTE)
    expect(lock).not.toHaveBeenCalled()
    expect(vi.getTimerCount()).toBe(0)
  })
})

// 锁屏 of an idle counter: after the counter's idle time without a key, a click or a mouse movement
// the session locks (DOMAIN.md "Users, roles and security"; the minutes come with the log-in).
//
// The timer does not restart on every mouse movement (many a second): activity only notes the
// time, and the one pending timeout, when it fires early, waits for the rest. A timeout that fires
// late (a suspended computer) locks at once. Tested with fake timers (idle.test.ts).
import { onBeforeUnmount, onMounted, watch, type Ref } from 'vue'

export type IdleTimer = {
  /** Activity: the idle time starts again from now. */
  touch(): void
  /** No more locking (log-out, locked already, unmounted). */
  stop(): void
}

/** Calls `onIdle` once, after `ms` milliseconds without `touch()`. */
export function idleTimer(ms: number, onIdle: () => void): IdleTimer {
  let last = Date.now()
  let timer: ReturnType<typeof setTimeout> | null = null
  let stopped = false

  function wait(delay: number) {
    timer = setTimeout(check, delay)
  }
  function check() {
    timer = null
    if (stopped) return
    const idle = Date.now() - last
    if (idle >= ms) {
      stopped = true
      onIdle()
    } else {
      wait(ms - idle)
    }
  }
  wait(ms)

  return {
    touch() {
      last = Date.now()
    },
    stop() {
      stopped = true
      if (timer !== null) clearTimeout(timer)
      timer = null
    },
  }
}

/** What counts as someone at the counter. */
export const ACTIVITY_EVENTS = ['keydown', 'mousedown', 'mousemove', 'wheel', 'touchstart'] as const

/**
 * In a component: while `active` (logged in and not locked), call `lock` after `minutes` of no
 * activity anywhere in the window. A new idle time, or becoming active again (unlocked), starts
 * the count afresh.
 */
export function useIdleLock(minutes: Ref<number>, active: Ref<boolean>, lock: () => void): void {
  let timer: IdleTimer | null = null
  const touch = () => timer?.touch()

  function restart() {
    timer?.stop()
    timer = null
    if (active.value && minutes.value > 0) timer = idleTimer(minutes.value * 60_000, lock)
  }

  watch([minutes, active], restart)
  onMounted(() => {
    // Capture: a dialog that stops a key from bubbling still counts as activity.
    for (const e of ACTIVITY_EVENTS) window.addEventListener(e, touch, { capture: true, passive: true })
    restart()
  })
  onBeforeUnmount(() => {
    for (const e of ACTIVITY_EVENTS) window.removeEventListener(e, touch, { capture: true })
    timer?.stop()
    timer = null
  })
}

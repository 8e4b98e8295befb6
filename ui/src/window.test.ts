// The app's default window (src-tauri/tauri.conf.json) fits a 1366 × 768 screen, the common
// counter monitor, with room for the title bar and a taskbar; and the UI is laid out for its
// smallest size (1024 × 700: e2e/screen.test.mjs measures the header there).
import { describe, expect, it } from 'vitest'
import conf from '../../src-tauri/tauri.conf.json'

/** A window manager's title bar and a desktop's taskbar, together, at most. */
const CHROME_PX = 68

describe('the default window', () => {
  const main = conf.app.windows.find((w) => w.label === 'main')!
  it('fits a 1366 × 768 screen with its title bar and a taskbar', () => {
    expect(main.width).toBeLessThanOrEqual(1366)
    expect(main.height + CHROME_PX).toBeLessThanOrEqual(768)
  })
  it('is no smaller than the smallest the UI is laid out for (1024 × 700)', () => {
    expect(main.minWidth).toBe(1024)
    expect(main.minHeight).toBe(700)
    expect(main.width).toBeGreaterThanOrEqual(main.minWidth)
    expect(main.height).toBeGreaterThanOrEqual(main.minHeight)
  })
})

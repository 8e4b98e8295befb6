// The screen at a counter (issue 18 §4, §6) in the app's own WebKitGTK window, where a cashier sees
// it: the window as it opens fits a 1366 × 768 screen; at its smallest (1024 × 700) the header holds
// on one line; labels are large and dark enough to read in WebKit's rendering; amounts are grouped
// by thousands; Tab stays inside an open dialog; the receipt's copies are tabs reached by keyboard;
// the language is each user's own; a supervisor's first screen is the counter. The Chromium suite
// (ui/e2e/screen.test.mjs) checks the same against the HTTP bridge; this one is what ships.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ARREARS_ACCOUNT, DEMO, fen, finishResult, login, openAccount, openShift, shot, startDesktop, startDisplay } from './harness.mjs'

/** The smallest window the app allows (src-tauri/tauri.conf.json: minWidth × minHeight). */
const SMALLEST = { width: 1024, height: 700 }
/** The smallest screen a counter PC has (the issue: the default window fits it). */
const COUNTER_SCREEN = { width: 1366, height: 768 }

/**
 * A function body for the page: every visible element with text matching `arguments[0]`, its font
 * size in px and the WCAG 2 contrast ratio of its text on the first opaque background behind it.
 */
const LABELS = `
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number)
  const lum = ([r, g, b]) => {
    const f = (v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4 }
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)
  }
  const ratio = (el) => {
    let bg = null
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor)
      if (c.length >= 3 && (c.length < 4 || c[3] > 0.9)) { bg = c; break }
    }
    bg = bg || [255, 255, 255]
    // A translucent text colour is seen blended over the background (opacity too).
    let fg = rgb(getComputedStyle(el).color)
    let alpha = fg.length >= 4 ? fg[3] : 1
    for (let e = el; e; e = e.parentElement) alpha *= parseFloat(getComputedStyle(e).opacity)
    fg = [0, 1, 2].map((i) => fg[i] * alpha + bg[i] * (1 - alpha))
    const a = lum(fg), b = lum(bg)
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)
  }
  return [...document.querySelectorAll(arguments[0])]
    .filter((e) => e.getClientRects().length > 0 && e.textContent.trim() !== '')
    .map((e) => ({ text: e.textContent.trim().slice(0, 20), px: parseFloat(getComputedStyle(e).fontSize), ratio: ratio(e) }))
`

/** Whether the focused element is inside the element with data-testid `id`. */
const FOCUS_INSIDE = 'return !!document.activeElement?.closest(`[data-testid="${arguments[0]}"]`)'

let screen
let app
let s
before(async () => {
  // A screen larger than a counter's, so that the window's own size is what is measured.
  screen = await startDisplay({ width: 1920, height: 1080 })
  app = await startDesktop({ display: screen.display })
  s = app.s
  await s.waitFor('login-username', { state: 'visible' })
})
after(async () => {
  await app?.stop()
  await screen?.stop()
})

describe('the screen at a counter, in the real window', () => {
  test('the window opens at a size that fits a 1366 × 768 screen', async () => {
    const rect = await s.windowRect()
    const inner = await s.exec('return [window.innerWidth, window.innerHeight]')
    assert.ok(rect.width <= COUNTER_SCREEN.width && rect.height <= COUNTER_SCREEN.height, `the window ${JSON.stringify(rect)} fits ${JSON.stringify(COUNTER_SCREEN)}`)
    assert.ok(inner[0] >= SMALLEST.width && inner[1] >= SMALLEST.height, `and is not smaller than the counter needs: ${inner}`)
  })

  test("a supervisor's first screen is the counter, not a float to confirm; F12 开班 proposes none", async () => {
    await login(s, DEMO.supervisor)
    await s.waitFor('counter-empty')
    // The shift's state has been read once the F12 开班 key shows: only then can a float be missing.
    await s.waitFor('key-open-shift')
    assert.equal(await s.count('shift-float'), 0, 'no float proposed on the first screen')
    assert.match(await s.text('key-open-shift'), /F12\s*开班/)
    await s.keys('F12')
    await s.waitFor('shift-float')
    assert.equal(await s.value('shift-float'), '', 'the supervisor types the float')
    await s.keys('Escape')
    await s.waitFor('counter-empty')
    await s.click('logout')
    await s.waitFor('login-username')
  })

  test('at 1024 × 700 the header holds on one line with a shift open, and the language is not in it', async () => {
    await s.setWindowRect(SMALLEST)
    await s.until('the window is at its smallest', 'return window.innerWidth <= arguments[0] + 16 && window.innerHeight <= arguments[1] + 16', {
      args: [SMALLEST.width, SMALLEST.height],
    })
    await login(s, DEMO.cashier)
    await openShift(s)
    const m = await s.exec(`
      const bar = document.querySelector('[data-testid="counter-header"]')
      const items = [...bar.querySelectorAll('.where > *, .who > *')].filter((e) => e.getClientRects().length > 0)
      const mid = (e) => { const r = e.getBoundingClientRect(); return Math.round(r.top + r.height / 2) }
      return {
        barHeight: bar.getBoundingClientRect().height,
        tallest: Math.max(...items.map((e) => e.getBoundingClientRect().height)),
        tops: [...new Set(items.map(mid))],
        right: Math.max(...items.map((e) => e.getBoundingClientRect().right)),
        width: window.innerWidth,
        items: items.length,
        shiftCut: (() => { const e = document.querySelector('[data-testid="shift-info"]'); return e.scrollWidth - e.clientWidth })(),
      }`)
    assert.ok(m.items >= 4, `the header's items were found: ${JSON.stringify(m)}`)
    assert.equal(m.barHeight, 48, `the header keeps its height: ${JSON.stringify(m)}`)
    assert.ok(m.tallest <= 40, `no item of the header wraps onto a second line: ${JSON.stringify(m)}`)
    assert.ok(Math.max(...m.tops) - Math.min(...m.tops) <= 4, `every item on the same line: ${JSON.stringify(m)}`)
    assert.ok(m.right <= m.width, `nothing runs off the window: ${JSON.stringify(m)}`)
    assert.ok(m.shiftCut <= 0, `the shift's line, with its float, is not cut: ${JSON.stringify(m)}`)
    assert.equal(await s.text('shift-float-shown'), '500.00')
    assert.equal(await s.count('[data-testid="counter-header"] [data-testid="language-switch"]'), 0, 'the language is in Settings')
    await shot(s, '15-header-1024x700')
  })

  test('labels are at least 14px with contrast ≥ 4.5:1 as WebKit renders them; amounts grouped by thousands, periods as 2025-12, the Enter rule in the hints', async () => {
    await openAccount(s, ARREARS_ACCOUNT)
    const total = await s.text('total')
    const { token } = await s.api('login', DEMO.finance)
    const view = await s.api('account_view', { token, account_no: ARREARS_ACCOUNT })
    await s.api('logout', { token })
    assert.equal(fen(total), fen(view.quote.total), "the core's figure")
    assert.ok(fen(view.quote.total) >= 100000n, `the demo's arrears account owes 1,000.00 or more: ${view.quote.total}`)
    const grouped = view.quote.total.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
    assert.ok(total.includes(grouped) && total.includes(','), `grouped by thousands on screen: ${total} (the core says ${view.quote.total})`)
    // Periods in the one format, 2025-12, as on paper.
    const periods = await s.exec(`return [...document.querySelectorAll('[data-testid="bills-row"] td:first-child')].map((c) => c.textContent.trim())`)
    assert.equal(periods.length, view.quote.bills.length)
    for (const p of periods) assert.match(p, /^\d{4}-(0[1-9]|1[0-2])$/, `a period as 2025-12: ${p}`)
    await s.keys('F5')
    await s.waitFor('payment-dialog')
    // The one rule for Enter, stated in the dialog's hints.
    assert.match(await s.text('[data-testid="payment-dialog"] [data-testid="enter-rule"]'), /^Enter：下一项；最后一项或 Ctrl\+Enter 确认，只确认一次/)
    const found = [
      ...(await s.exec(LABELS, '.account-card dt, .card dt, dl dt')),
      ...(await s.exec(LABELS, '.field-row > label, .field-row > .label')),
      ...(await s.exec(LABELS, 'th')),
    ]
    assert.ok(found.length >= 6, `labels found: ${JSON.stringify(found)}`)
    for (const l of found) {
      assert.ok(l.px >= 14, `${l.text}: ${l.px}px, at least 14px`)
      assert.ok(l.ratio >= 4.5, `${l.text}: contrast ${l.ratio.toFixed(2)}:1, at least 4.5:1`)
    }
    await shot(s, '16-payment-1024x700')
  })

  test('Tab and Shift+Tab never leave an open dialog for the counter behind it', async () => {
    // The payment dialog is open (the previous test).
    // Where the focus is: the element's test id, else its tag and text (a focus that never moves
    // would pass the "stays inside" checks alone).
    const where = "const a = document.activeElement; return a?.getAttribute('data-testid') || `${a?.tagName}:${a?.textContent?.trim().slice(0, 12)}`"
    const seen = new Set()
    for (let i = 0; i < 25; i++) {
      await s.keys('Tab')
      seen.add(await s.exec(where))
      assert.ok(await s.exec(FOCUS_INSIDE, 'payment-dialog'), `Tab ${i + 1} stays in the dialog (focus on ${await s.exec(where)})`)
    }
    assert.ok(seen.size >= 3, `Tab moved the focus through the dialog's controls: ${[...seen].join(', ')}`)
    for (let i = 0; i < 10; i++) {
      await s.chord('Shift', 'Tab')
      assert.ok(await s.exec(FOCUS_INSIDE, 'payment-dialog'), `Shift+Tab ${i + 1} stays in the dialog (focus on ${await s.exec(where)})`)
    }
    await s.keys('Escape')
    await s.waitFor('payment-dialog', { state: 'detached' })
  })

  test('the receipt preview has a tab per copy (存根/客户/记账), reached with Tab and chosen with → and End', async () => {
    await s.keys('F5')
    await s.waitFor('payment-dialog')
    await s.until('实收 has the focus', "return document.activeElement?.getAttribute('data-testid') === 'pay-tendered'")
    await s.keys('F4', 'Enter')
    await s.waitFor('[data-testid="payment-result"][data-armed="true"]')
    await s.waitFor('[data-testid="receipt-preview"][data-rendered="true"]', { timeout: 30_000 })
    const tabs = await s.exec(`return [...document.querySelectorAll('[data-testid="receipt-copies"] [role="tab"]')].map((t) => t.textContent.trim())`)
    assert.deepEqual(tabs, ['存根联', '客户联', '记账联'])
    let reached = false
    for (let i = 0; i < 30 && !reached; i++) {
      await s.keys('Tab')
      reached = await s.exec("return document.activeElement?.getAttribute('role') === 'tab'")
    }
    assert.ok(reached, 'a copy tab is reached with Tab')
    assert.equal(await s.exec('return document.activeElement?.textContent?.trim()'), '存根联', 'the chosen copy is the Tab stop')
    await s.keys('ArrowRight')
    await s.waitFor('[data-testid="receipt-copy-1"][aria-selected="true"]')
    assert.equal(await s.attr('receipt-preview', 'data-copy'), '1')
    const shown = await s.exec(`return [...document.querySelectorAll('[data-testid="receipt-page"]')].map((c) => c.style.display !== 'none')`)
    assert.deepEqual(shown, [false, true, false], 'only the 客户联 shows')
    await shot(s, '17-receipt-copy-tabs')
    await s.keys('End')
    await s.waitFor('[data-testid="receipt-copy-2"][aria-selected="true"]')
    await finishResult(s)
  })

  test("the language is each user's own: kept over a log-out and log-in, and another user's stays", async () => {
    await s.keys('F11')
    await s.waitFor('settings-dialog')
    await s.click('language-en')
    await s.waitFor('language-saved')
    await s.keys('Escape')
    await s.waitFor('settings-dialog', { state: 'detached' })
    await s.until('the screens are in English', "return document.querySelector('[data-testid=\"logout\"]')?.textContent.trim() === 'Log out'")
    await shot(s, '18-english')
    await s.click('logout')
    // The log-in screen is the machine's language again.
    await s.until('the log-in form is in 中文', "return document.querySelector('[data-testid=\"login-submit\"]')?.textContent.includes('登录')")

    await login(s, DEMO.supervisor)
    assert.equal(await s.text('logout'), '退出', "the supervisor's screens stay in 中文")
    await s.click('logout')

    await login(s, DEMO.cashier)
    assert.equal(await s.text('logout'), 'Log out', "the cashier's choice came back with her log-in")
    const mine = await s.api('login', DEMO.cashier)
    await s.api('logout', { token: mine.token })
    assert.equal(mine.language, 'en', 'kept in the core with the user')
    const other = await s.api('login', DEMO.supervisor)
    await s.api('logout', { token: other.token })
    assert.equal(other.language, 'zh-CN')
    await s.click('logout')
  })
})

// The screen at a counter (issue 18 §4, §6), in Chromium against the real core: the header on one
// line in the smallest window (1024 × 700), labels large and dark enough to read, amounts in one
// format, the receipt's copies as tabs reached by keyboard, Tab kept inside an open dialog, the
// language kept per user, and a supervisor's first screen.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ARREARS_ACCOUNT, DEMO, amountText, artifactPath, finishResult, login, openAccount, startStack, text } from './harness.mjs'

/** The smallest window the app allows (src-tauri/tauri.conf.json: minWidth × minHeight). */
const SMALLEST = { width: 1024, height: 700 }

let stack
let page
before(async () => {
  stack = await startStack()
  page = await stack.page()
  await page.setViewportSize(SMALLEST)
})
after(async () => {
  await stack?.stop()
})

/** In the page: the contrast ratio (WCAG 2) of an element's text on the background behind it. */
function contrastOf(el) {
  const rgb = (c) => (c.match(/[\d.]+/g) ?? []).map(Number)
  const lum = ([r, g, b]) => {
    const f = (v) => {
      const s = v / 255
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
    }
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)
  }
  let bg = null
  for (let e = el; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor)
    if (c.length >= 3 && (c.length < 4 || c[3] > 0.9)) {
      bg = c
      break
    }
  }
  bg ??= [255, 255, 255]
  const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg)]
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)
}

/** Every element matching `selector` (visible, with text): its size in px and its contrast. */
async function labels(selector) {
  return page.$$eval(
    selector,
    (els, contrast) => {
      // eslint-disable-next-line no-new-func
      const ratio = new Function(`return (${contrast})`)()
      return els
        .filter((e) => e.offsetParent !== null && e.textContent.trim() !== '')
        .map((e) => ({ text: e.textContent.trim().slice(0, 20), px: parseFloat(getComputedStyle(e).fontSize), ratio: ratio(e) }))
    },
    contrastOf.toString(),
  )
}

describe('the screen at a counter', () => {
  test('a supervisor\'s first screen is the counter, not a float to confirm; F12 开班 proposes none', async () => {
    await login(page, DEMO.supervisor)
    await page.getByTestId('counter-empty').waitFor()
    assert.equal(await page.getByTestId('shift-float').count(), 0, 'no float proposed on the first screen')
    assert.match(await text(page, 'key-open-shift'), /F12\s*开班/)
    await page.keyboard.press('F12')
    await page.getByTestId('shift-float').waitFor()
    assert.equal(await page.getByTestId('shift-float').inputValue(), '', 'the supervisor types the float')
    await page.keyboard.press('Escape')
    await page.getByTestId('counter-empty').waitFor()
    await page.getByTestId('logout').click()
    await page.getByTestId('login-username').waitFor()
  })

  test('the header holds on one line at 1024 × 700, with a shift open, and the language is not in it', async () => {
    await login(page, DEMO.cashier)
    await page.getByTestId('shift-open').waitFor()
    await page.keyboard.press('Enter') // 开班 with the proposed float
    await page.getByTestId('shift-info').waitFor()
    const m = await page.getByTestId('counter-header').evaluate((bar) => {
      const items = [...bar.querySelectorAll('.where > *, .who > *')].filter((e) => e.getClientRects().length > 0)
      const line = parseFloat(getComputedStyle(bar).lineHeight) || 24
      return {
        barHeight: bar.getBoundingClientRect().height,
        overflow: bar.scrollWidth - bar.clientWidth,
        line,
        tallest: Math.max(...items.map((e) => e.getBoundingClientRect().height)),
        tops: [...new Set(items.map((e) => Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2)))],
        right: Math.max(...items.map((e) => e.getBoundingClientRect().right)),
        width: window.innerWidth,
        shiftCut: (() => {
          const e = bar.querySelector('[data-testid="shift-info"]')
          return e.scrollWidth - e.clientWidth
        })(),
      }
    })
    assert.equal(m.barHeight, 48, `the header keeps its height: ${JSON.stringify(m)}`)
    assert.ok(m.tallest <= 40, `no item of the header wraps onto a second line: ${JSON.stringify(m)}`)
    assert.ok(Math.max(...m.tops) - Math.min(...m.tops) <= 4, `every item on the same line: ${JSON.stringify(m)}`)
    assert.ok(m.right <= m.width, `nothing runs off the window: ${JSON.stringify(m)}`)
    assert.ok(m.shiftCut <= 0, `the shift's line, with its float, is not cut: ${JSON.stringify(m)}`)
    assert.equal(await page.getByTestId('counter-header').getByTestId('language-switch').count(), 0, 'the language is in Settings')
    await page.screenshot({ path: artifactPath('header-1024x700.png') })
  })

  test('field labels are at least 14px with contrast ≥ 4.5:1; amounts are grouped by thousands', async () => {
    await openAccount(page, ARREARS_ACCOUNT)
    const total = await amountText(page, 'total')
    assert.equal(total, stack.quote(ARREARS_ACCOUNT).total, 'the core\'s figure, grouped on screen')
    await page.keyboard.press('F5')
    await page.getByTestId('payment-dialog').waitFor()
    const found = [
      ...(await labels('.account-card dt, .card dt, dl dt')),
      ...(await labels('.field-row > label, .field-row > .label')),
      ...(await labels('th')),
    ]
    assert.ok(found.length >= 6, `labels found: ${JSON.stringify(found)}`)
    for (const l of found) {
      assert.ok(l.px >= 14, `${l.text}: ${l.px}px, at least 14px`)
      assert.ok(l.ratio >= 4.5, `${l.text}: contrast ${l.ratio.toFixed(2)}:1, at least 4.5:1`)
    }
    await page.screenshot({ path: artifactPath('payment-1024x700.png') })
  })

  test('Tab never leaves an open dialog for the counter behind it', async () => {
    // The payment dialog is open (the previous test).
    const inside = []
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press('Tab')
      inside.push(
        await page.evaluate(() => {
          const a = document.activeElement
          return !!a && !!a.closest('[data-testid="payment-dialog"]')
        }),
      )
    }
    assert.ok(inside.every(Boolean), `every Tab stays in the dialog: ${inside.join(',')}`)
    for (let i = 0; i < 10; i++) await page.keyboard.press('Shift+Tab')
    assert.ok(await page.evaluate(() => !!document.activeElement?.closest('[data-testid="payment-dialog"]')), 'Shift+Tab too')
    await page.keyboard.press('Escape')
    await page.getByTestId('payment-dialog').waitFor({ state: 'detached' })
  })

  test('the receipt preview has a tab per copy (存根/客户/记账), reached with Tab and chosen with ←/→', async () => {
    await page.keyboard.press('F5')
    await page.getByTestId('payment-dialog').waitFor()
    await page.keyboard.press('F4')
    await page.keyboard.press('Enter')
    await page.getByTestId('payment-result').waitFor()
    await page.locator('[data-testid="payment-result"][data-armed="true"]').waitFor()
    await page.locator('[data-testid="receipt-preview"][data-rendered="true"]').waitFor({ timeout: 20_000 })
    const tabs = page.locator('[data-testid="receipt-copies"] [role="tab"]')
    assert.deepEqual(await tabs.allTextContents().then((t) => t.map((s) => s.trim())), ['存根联', '客户联', '记账联'])
    let reached = false
    for (let i = 0; i < 30 && !reached; i++) {
      await page.keyboard.press('Tab')
      reached = await page.evaluate(() => document.activeElement?.getAttribute('role') === 'tab')
    }
    assert.ok(reached, 'a copy tab is reached with Tab')
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), '存根联', 'the chosen copy is the Tab stop')
    await page.keyboard.press('ArrowRight')
    assert.equal(await page.getByTestId('receipt-copy-1').getAttribute('aria-selected'), 'true')
    assert.equal(await page.getByTestId('receipt-preview').getAttribute('data-copy'), '1')
    const visible = await page.$$eval('[data-testid="receipt-page"]', (cs) => cs.map((c) => c.style.display !== 'none'))
    assert.deepEqual(visible, [false, true, false], 'only the 客户联 shows')
    await page.keyboard.press('End')
    assert.equal(await page.getByTestId('receipt-copy-2').getAttribute('aria-selected'), 'true')
    await page.screenshot({ path: artifactPath('receipt-copy-tabs.png') })
    await finishResult(page)
  })

  test('the language is each user\'s own: kept over a log-out and log-in, and another user\'s stays', async () => {
    await page.keyboard.press('F11')
    await page.getByTestId('settings-dialog').waitFor()
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/call/set_language'))
    await page.getByTestId('language-en').click()
    assert.equal((await saved).status(), 200)
    await page.getByTestId('language-saved').waitFor()
    await page.keyboard.press('Escape')
    assert.equal(await text(page, 'logout'), 'Log out')
    await page.getByTestId('logout').click()
    // The log-in screen is the machine's language again.
    await page.getByTestId('login-submit').getByText('登录').waitFor()

    await login(page, DEMO.supervisor)
    assert.equal(await text(page, 'logout'), '退出', 'the supervisor\'s screens stay in 中文')
    await page.getByTestId('logout').click()

    await login(page, DEMO.cashier)
    assert.equal(await text(page, 'logout'), 'Log out', 'the cashier\'s choice came back with her log-in')
    const { language } = await stack.api('login', DEMO.cashier)
    assert.equal(language, 'en', 'kept in the core with the user')
    const other = await stack.api('login', DEMO.supervisor)
    assert.equal(other.language, 'zh-CN')
    await page.getByTestId('logout').click()
  })
})

// Printers a supervisor can choose (issue 18 §5), in the app's own WebKitGTK window: a fresh demo
// counter on a computer whose print system is not running has no printer, and the cashier is told
// whom to ask, with no command line; once printers are installed, the supervisor lists them in
// Settings (F11), picks one by keyboard, prints a test page on it and saves it; the core refuses a
// queue the computer does not have; a printer removed from the computer is marked in the list.
// The print system is the file-backed test one (ui/e2e/fake-lpstat.sh, fake-lp.sh): CUPS does not
// run here. The Chromium suite (ui/e2e/printing.test.mjs) checks the same against the HTTP bridge.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { DEMO, login, pdfText, shot, startDesktop, startDisplay, waitForPrints } from './harness.mjs'

/** The printer list's options as a supervisor reads them (an expression, and a script returning it). */
const OPTIONS_EXPR = `[...document.querySelectorAll('[data-testid="settings-printer"] option')].map((o) => o.textContent.trim())`
const OPTIONS = `return ${OPTIONS_EXPR}`

describe('a counter without a printer, then with the printers a supervisor chooses from', () => {
  let screen
  let app
  let s
  before(async () => {
    screen = await startDisplay()
    app = await startDesktop({ display: screen.display, queues: null })
    s = app.s
  })
  after(async () => {
    await app?.stop()
    await screen?.stop()
  })

  /** Settings (F11) open with the printer section loaded. */
  async function openSettings() {
    await s.keys('F11')
    await s.waitFor('settings-dialog')
    await s.waitFor('[data-testid="settings-printer"]:enabled')
  }

  async function closeSettings() {
    await s.keys('Escape')
    await s.waitFor('settings-dialog', { state: 'detached' })
  }

  test('no printer on a fresh demo counter: the cashier is told to ask the shift supervisor, with no command line', async () => {
    await login(s, DEMO.cashier)
    await s.waitFor('[data-notice="PRINTER_NOT_SET"]', { state: 'visible' })
    const notice = await s.text('[data-notice="PRINTER_NOT_SET"]')
    assert.match(notice, /值班长/, `the notice names whom to ask: ${notice}`)
    assert.doesNotMatch(notice, /lpstat|lpadmin|cashdeskctl|sudo|CUPS|命令/i, `no command line for a cashier: ${notice}`)
    await shot(s, '20-no-printer')
    await s.click('open-settings')
    await s.waitFor('settings-read-only')
    const section = await s.text('settings-no-printer')
    assert.match(section, /请联系值班长/, `Settings says the same to a cashier: ${section}`)
    await closeSettings()
    await s.click('logout')
  })

  test('printers installed: the supervisor lists them, picks one by keyboard, prints a test page on it and saves it', async () => {
    await login(s, DEMO.supervisor)
    await openSettings()
    await s.waitFor('settings-no-printer')
    assert.deepEqual(await s.exec(OPTIONS), ['（未选择）'], 'the print system is not running: nothing to choose')
    // Two printers are installed while Settings is open; 刷新列表 shows them, the default marked.
    writeFileSync(app.queues, 'hall-printer\nsecond\n')
    await s.click('settings-printer-refresh')
    await s.until('the list shows the new printers', `return ${OPTIONS_EXPR}.length === 3`)
    assert.deepEqual(await s.exec(OPTIONS), ['（未选择）', 'hall-printer（系统默认）', 'second'])
    // By keyboard, as at a counter: the list has the focus again, ↓ ↓ picks the second printer.
    await s.exec('document.querySelector(\'[data-testid="settings-printer"]\').focus()')
    await s.keys('ArrowDown', 'ArrowDown')
    await s.until('second is chosen', "return document.querySelector('[data-testid=\"settings-printer\"]').value === 'second'")
    await s.click('settings-test-page')
    await s.waitFor('settings-test-sent')
    assert.equal(await s.text('settings-test-sent'), '测试页已送到 second')
    const [job] = await waitForPrints(app.prints, 1)
    assert.deepEqual(job.args.slice(0, 2), ['-d', 'second'], `the test page went to the chosen queue: ${job.args}`)
    const page = pdfText(job.pdf)
    for (const want of ['打印测试页', 'DEMO-01', 'second']) assert.ok(page.includes(want), `the test page shows ${want}:\n${page}`)
    // Enter on the list saves (the dialog's Enter rule: the last field runs the named action).
    await s.exec('document.querySelector(\'[data-testid="settings-printer"]\').focus()')
    await s.keys('Enter')
    await s.waitFor('settings-saved')
    assert.equal(await s.count('settings-no-printer'), 0, 'a printer is set')
    await shot(s, '21-printer-chosen')

    // Whatever a client sends, the core takes only a queue the computer has.
    const { token } = await s.api('login', DEMO.supervisor)
    await assert.rejects(s.api('set_print_settings', { token, printer: 'no-such-queue', paper: 'a5' }), /PRINT_PRINTER_UNKNOWN/)
    assert.equal((await s.api('print_settings', { token })).printer, 'second', 'the refusal changed nothing')
    await s.api('logout', { token })

    // The printer is removed from the computer: the list marks it, so nobody saves it unawares.
    writeFileSync(app.queues, 'hall-printer\n')
    await s.click('settings-printer-refresh')
    await s.until('the list marks the removed printer', `return ${OPTIONS_EXPR}.includes('second（本机已无此打印机）')`)
    await closeSettings()
    await s.click('logout')
  })

  test('with a printer set, the cashier is no longer told there is none', async () => {
    await login(s, DEMO.cashier)
    await s.waitFor('shift-open')
    assert.equal(await s.count('[data-notice="PRINTER_NOT_SET"]'), 0)
    await s.click('logout')
  })
})

// The counter's main journeys in the app as it ships, in its own WebKitGTK window (tauri-driver +
// WebKitWebDriver on Xvfb): log-in, look-up by 户号, a cash payment to a printed receipt (the
// file-backed test printer) with its pdf.js preview, the shift closed with a blind count; and holiday
// cash on a Sunday with a supervisor's approval. Keys are pressed as a cashier presses them; a
// screenshot of each screen goes to artifacts/desktop/.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  ARREARS_ACCOUNT,
  DEMO,
  approve,
  fen,
  finishResult,
  login,
  openAccount,
  openShift,
  pdfText,
  shot,
  startDesktop,
  startDisplay,
  waitForPrints,
  yuan,
} from './harness.mjs'

const RECEIPT_NO = /^DEMO-01-\d{4}-\d{6}$/

/** Pieces of each denomination making up `f` 分, largest first (the drawer as it should be). */
const DENOMINATIONS_FEN = [
  ['100', 10000n],
  ['50', 5000n],
  ['20', 2000n],
  ['10', 1000n],
  ['5', 500n],
  ['1', 100n],
  ['0.5', 50n],
  ['0.1', 10n],
  ['0.05', 5n],
  ['0.02', 2n],
  ['0.01', 1n],
]
function piecesOf(f) {
  const out = []
  for (const [d, v] of DENOMINATIONS_FEN) {
    const n = f / v
    if (n > 0n) out.push([d, String(n)])
    f -= n * v
  }
  return out
}

let screen
before(async () => {
  screen = await startDisplay()
})
after(async () => {
  await screen?.stop()
})

describe('at the counter: log-in, look-up, cash to a printed receipt, shift close', () => {
  let app
  let s
  let total

  before(async () => {
    app = await startDesktop({ display: screen.display })
    s = app.s
    // The supervisor's printer setting, through the window's own IPC (Settings is another suite's).
    const { token } = await s.api('login', DEMO.supervisor)
    await s.api('set_print_settings', { token, printer: 'counter-test', paper: 'a5' })
    await s.api('logout', { token })
  })
  after(async () => {
    await app?.stop()
  })

  test('the window opens on the log-in form; a cashier logs in and opens a shift', async () => {
    await s.waitFor('login-username', { state: 'visible' })
    assert.equal(await s.focused(), 'login-username', 'the user name has the focus at start')
    assert.equal(await s.exec('return document.title'), 'Cashdesk 收费台')
    await shot(s, '01-login')
    await login(s, DEMO.cashier)
    await s.waitFor('shift-open')
    assert.equal(await s.value('shift-float'), '500.00', 'the float is proposed')
    await shot(s, '02-shift-open')
    await openShift(s)
    assert.match(await s.text('shift-info'), /500\.00/)
  })

  test('F2 finds the arrears account by 户号; the card shows the total the core quotes', async () => {
    await s.keys('F2')
    await s.waitFor('search-input')
    await s.keys(ARREARS_ACCOUNT)
    await s.waitFor('search-hit')
    await shot(s, '03-search')
    await s.keys('Enter')
    await s.until('the account card', `return document.querySelector('[data-testid="account-no"]')?.textContent.trim() === '${ARREARS_ACCOUNT}'`)
    await s.waitFor('total')
    const { token } = await s.api('login', DEMO.finance)
    const view = await s.api('account_view', { token, account_no: ARREARS_ACCOUNT })
    await s.api('logout', { token })
    total = await s.text('total')
    assert.ok(view.quote.bills.length > 0, 'the demo arrears account owes')
    assert.equal(fen(total), fen(view.quote.total), 'the screen shows the total the core quotes for today')
    assert.equal(await s.count('bills-row'), view.quote.bills.length, 'one row per unpaid bill')
    assert.ok((await s.text('total-words')).startsWith('人民币'), 'the 大写 is shown')
    await shot(s, '04-account')
  })

  test('F5, F4 (exact cash), Enter: the receipt prints at once and its preview is drawn', async () => {
    await s.keys('F5')
    await s.waitFor('payment-dialog')
    await s.until('实收 has the focus', "return document.activeElement?.getAttribute('data-testid') === 'pay-tendered'")
    await s.keys('F4')
    assert.equal(await s.value('pay-tendered'), await s.value('pay-amount'), 'F4: 实收 = the amount')
    await shot(s, '05-payment')
    await s.keys('Enter')
    await s.waitFor('payment-result')
    const receiptNo = await s.text('receipt-no')
    assert.match(receiptNo, RECEIPT_NO)
    await s.waitFor('[data-testid="print-status"][data-state="printed"]')
    assert.equal(await s.text('printed-on'), '已打印到 counter-test')
    const [job] = await waitForPrints(app.prints, 1)
    assert.deepEqual(job.args.slice(0, 7), ['-d', 'counter-test', '-n', '1', '-o', 'media=A5', '--'], `lp arguments: ${job.args}`)
    const paper = pdfText(job.pdf)
    for (const want of ['客户联', '记账联', receiptNo, '人民币']) assert.ok(paper.includes(want), `the printed receipt shows ${want}:\n${paper}`)
    await s.waitFor('[data-testid="receipt-preview"][data-rendered="true"]', { timeout: 30_000 })
    const drawn = await s.exec(`const c = document.querySelector('[data-testid="receipt-preview"] canvas'); return c ? [c.width, c.height] : null`)
    assert.ok(drawn && drawn[0] > 300 && drawn[1] > 150, `pdf.js drew the receipt in WebKit: ${drawn}`)
    await shot(s, '06-receipt')
    await finishResult(s)
    await s.waitFor('no-arrears')
  })

  test('F12: the drawer counted note by note matches; the shift closes', async () => {
    const expected = yuan(50000n + fen(total))
    await s.keys('F12')
    await s.waitFor('close-dialog')
    assert.equal(await s.count('close-expected'), 0, 'the count is blind')
    for (const [d, n] of piecesOf(50000n + fen(total))) await s.fill(`count-${d}`, n)
    // The screens' one format: thousands grouped (12,793.38).
    assert.equal(await s.text('counted-total'), expected.replace(/\B(?=(\d{3})+(?!\d))/g, ','))
    await shot(s, '07-close-count')
    await s.keys('Enter')
    await s.waitFor('close-done')
    assert.equal(await s.text('close-outcome-difference'), '账实相符')
    assert.equal(fen(await s.text('close-expected')), fen(expected), 'expected = float + cash taken')
    await shot(s, '08-close-done')
    // The Enter rule: a new step (the outcome) ignores Enter for its first second.
    await s.waitFor('[data-testid="close-dialog"][data-guarded="false"]')
    await s.keys('Enter')
    await s.waitFor('shift-open')
    assert.equal(await s.count('shift-info'), 0, 'no shift in the header any more')
  })
})

describe('holiday cash on Sunday 2026-03-01, with a supervisor', () => {
  let app
  let s
  let accountNo

  before(async () => {
    app = await startDesktop({ display: screen.display, now: '2026-03-01 10:00:00' })
    s = app.s
    await s.waitFor('login-username')
    // A prepaid commercial or industrial (bank-first) account of the demo data.
    const { token } = await s.api('login', DEMO.cashier)
    for (const hit of await s.api('search_accounts', { token, query: '示范市' })) {
      if (hit.billing_mode !== 'prepaid' || hit.closed) continue
      const view = await s.api('account_view', { token, account_no: hit.account_no })
      if (['commercial', 'industrial'].includes(view.account.category)) {
        accountNo = hit.account_no
        break
      }
    }
    await s.api('logout', { token })
    assert.ok(accountNo, 'the demo data has a prepaid commercial or industrial account')
  })
  after(async () => {
    await app?.stop()
  })

  test('F7 cash 5000.00 asks a supervisor, who approves with their own password; due at the bank on Monday', async () => {
    await login(s, DEMO.cashier)
    await openShift(s)
    await openAccount(s, accountNo)
    await s.waitFor('key-F7')
    await s.keys('F7')
    await s.waitFor('payment-dialog')
    await s.keys('5000.00', 'Enter', 'F4')
    assert.equal(await s.value('pay-tendered'), '5000.00')
    await s.keys('Enter')
    await s.waitFor('approval-dialog')
    assert.equal(await s.value('approval-username'), '', 'the approver is never prefilled')
    await shot(s, '09-approval')
    await approve(s, DEMO.supervisor)
    await s.waitFor('payment-result')
    assert.match(await s.text('receipt-no'), RECEIPT_NO)
    assert.equal(fen(await s.text('result-amount')), 500000n)
    assert.match(await s.text('holiday-due'), /2026-03-02/, 'due at the bank the next working day')
    assert.ok(await s.text('approved-by'), 'the approver is named')
    await shot(s, '10-holiday-cash')
    await finishResult(s)
  })
})

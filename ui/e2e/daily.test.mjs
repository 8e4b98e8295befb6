// The day's takings against the real core: a cashier takes a payment and deposits cash (解款), has
// the 解款单 on screen; P with no printer set is refused in words, and once a supervisor has set the
// counter's printer P prints it (print_document, to the fake printer e2e/fake-lp.sh). The cashier
// sees the deposit 在途 in 解款记录 (Shift+F10), whose P prints the chosen slip once for a doubled P,
// and their own 实收日报 (Shift+F12), exported as CSV and XLSX (the webview's download); at their
// screen a supervisor signs the day before off and the cashier sees who and when. Another
// supervisor takes money today; super1, who took none, opens the terminal-day at their own screen:
// the one who took money is refused by name (APPROVAL_TOOK_MONEY), super1's own password signs it;
// the report is read again and shows 已签核 and no longer changes (a later payment that day leaves
// it as signed); 打印日报 prints it. Previews are read from the core's answers, prints from the fake
// printer's jobs, both with pdftotext. A finance user reads it and has no 签核.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ARREARS_ACCOUNT, DEMO, artifactPath, finishResult, login, openAccount, pdfText, printedPdfs, startStack, text, waitForPrints, amountText } from './harness.mjs'

/** An amount as paper prints it: thousands separated (12,812.82). */
function grouped(amount) {
  const [whole, frac] = amount.split('.')
  return `${whole.replace(/\B(?=(\d{3})+$)/g, ',')}.${frac}`
}

const SLIP = 'JK-E2E-0001'
const SUPER2 = { username: 'super2', password: 'Zweiter#Leiter26' }
const PRINTER = 'counter-test'
/** What super2 takes at this terminal today (so that super2 may not sign the day off). */
const SUPER2_TAKES = '10.00'

/** "1680.32" → 168032n, and back: the test's own exact arithmetic, independent of the UI's. */
function fen(s) {
  const [i, f = ''] = s.split('.')
  return BigInt(i) * 100n + BigInt((f + '00').slice(0, 2))
}
function yuan(f) {
  return `${f / 100n}.${(f % 100n).toString().padStart(2, '0')}`
}

/** The day before `date` (YYYY-MM-DD). */
function dayBefore(date) {
  const d = new Date(`${date}T12:00:00Z`)
  d.setUTCDate(d.getUTCDate() - 1)
  return d.toISOString().slice(0, 10)
}

/** The core's own answers, through the bridge, as `user`. */
async function asUser(stack, user, run) {
  const { token } = await stack.api('login', user)
  try {
    return await run(token)
  } finally {
    await stack.api('logout', { token }).catch(() => undefined)
  }
}

/** The text of a DocumentPdf the core answered (base64), via pdftotext. */
function documentText(doc) {
  const dir = mkdtempSync(join(tmpdir(), 'cashdesk-daily-pdf-'))
  try {
    const file = join(dir, 'doc.pdf')
    writeFileSync(file, Buffer.from(doc.pdf_base64, 'base64'))
    return pdfText(file)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The next answer of `cmd` on the page, parsed (set up before the action that causes it). */
function nextAnswer(page, cmd) {
  const answer = page.waitForResponse((r) => r.url().endsWith(`/api/call/${cmd}`), { timeout: 30_000 }).then((r) => r.json())
  answer.catch(() => undefined)
  return answer
}

/** Wait (polling, bounded) until `check()` is true. */
async function until(check, what, ms = 20_000) {
  const end = Date.now() + ms
  for (;;) {
    if (await check()) return
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50)) // poll interval
  }
}

/** A cash payment through the bridge, as `user` (with an open shift at this terminal). */
function collect(stack, token, amount) {
  return stack.api('collect', {
    token,
    account_no: ARREARS_ACCOUNT,
    method: 'cash',
    amount,
    tendered: amount,
    confirm_large: false,
    voucher: null,
    waive_late_fee: null,
    approval: null,
  })
}

/** Click `testid` and resolve the file the page downloads: its name and bytes. */
async function download(page, testid) {
  const started = page.waitForEvent('download', { timeout: 20_000 })
  await page.getByTestId(testid).click()
  const d = await started
  return { name: d.suggestedFilename(), bytes: readFileSync(await d.path()) }
}

describe('the day\'s takings: deposits in transit, the 实收日报, its sign-off and export', () => {
  let stack
  let page
  let today
  let receiptNo
  let amount

  before(async () => {
    stack = await startStack()
    stack.ctlAs(DEMO.admin, ['user', 'add', SUPER2.username, '--role', 'supervisor'], `${SUPER2.password}\n`)
    // super2 takes money at this terminal today, in a shift of their own (one open shift per
    // terminal: closed before the cashier opens theirs), counted exactly: float and payment.
    await asUser(stack, SUPER2, async (token) => {
      await stack.api('open_shift', { token, float: '500.00' })
      await collect(stack, token, SUPER2_TAKES)
      const counts = [
        { denomination: '100', count: 5 },
        { denomination: '10', count: 1 },
      ]
      await stack.api('close_shift', { token, counts, reason: null, approval: null })
    })
    page = await stack.page()
  })
  after(async () => {
    await stack?.stop()
  })

  test('a cashier takes a payment and deposits cash: the deposit is 在途', async () => {
    await login(page, DEMO.cashier)
    today = await text(page, 'today')
    await page.getByTestId('shift-open').waitFor()
    await page.keyboard.press('Enter') // 开班
    await page.getByTestId('shift-info').waitFor()
    await openAccount(page, ARREARS_ACCOUNT)
    await page.keyboard.press('F5')
    await page.getByTestId('payment-dialog').waitFor()
    await page.keyboard.press('F4')
    await page.keyboard.press('Enter')
    await page.getByTestId('payment-result').waitFor()
    receiptNo = await text(page, 'receipt-no')
    amount = await amountText(page, 'result-amount')
    await finishResult(page)

    await page.keyboard.press('F10')
    await page.getByTestId('deposit-dialog').waitFor()
    await page.keyboard.type('100.00')
    await page.keyboard.press('Enter')
    await page.keyboard.type('中国工商银行')
    await page.keyboard.press('Enter')
    await page.keyboard.type(SLIP)
    const slipAnswer = nextAnswer(page, 'deposit_slip_pdf')
    await page.keyboard.press('Enter')
    await page.getByTestId('deposit-done').waitFor()
    const slip = documentText(await slipAnswer)
    for (const want of ['解款单', SLIP, '100.00', '在途']) assert.ok(slip.includes(want), `the 解款单 shows ${want}:\n${slip}`)
    await page.locator('[data-testid="deposit-dialog"] [data-testid="receipt-preview"][data-rendered="true"]').waitFor({ timeout: 20_000 })

    // No printer at this counter yet: said in words; the slip stays on screen.
    await page.keyboard.press('p')
    await page.getByTestId('deposit-print-error').waitFor()
    assert.equal(await text(page, 'deposit-print-error'), '未能打印：未设置打印机：请值班长在设置中选择打印机')
    assert.equal(printedPdfs(stack.prints).length, 0)
    await page.screenshot({ path: artifactPath('deposit-slip-no-printer.png') })

    // A supervisor sets the printer; P prints the slip on it.
    await asUser(stack, DEMO.supervisor, (token) => stack.api('set_print_settings', { token, printer: PRINTER, paper: 'a4' }))
    await page.keyboard.press('p')
    await page.getByTestId('deposit-slip-printed').waitFor()
    assert.equal(await text(page, 'deposit-slip-printed'), `已送打印机 ${PRINTER}：解款单 ${SLIP}`)
    assert.equal(await page.getByTestId('deposit-print-error').count(), 0)
    const [job] = await waitForPrints(stack.prints, 1)
    assert.ok(job.args.includes(PRINTER), `to the counter's printer: ${job.args}`)
    const printedSlip = pdfText(job.pdf)
    for (const want of ['解款单', SLIP, '100.00', '在途']) assert.ok(printedSlip.includes(want), `the printed 解款单 shows ${want}:\n${printedSlip}`)
    await page.screenshot({ path: artifactPath('deposit-slip.png') })
    await page.keyboard.press('Enter')
    await page.getByTestId('deposit-dialog').waitFor({ state: 'detached' })

    await page.getByTestId('key-S-F10').waitFor()
    await page.keyboard.press('Shift+F10')
    await page.getByTestId('deposit-list-dialog').waitFor()
    const row = page.locator(`[data-testid="deposit-row"][data-slip="${SLIP}"]`)
    await row.waitFor()
    assert.equal(await row.getAttribute('data-state'), 'transit')
    assert.equal((await row.getByTestId('deposit-state').textContent())?.trim(), '在途')
    assert.equal(await text(page, 'deposits-transit-sum'), '在途 1 笔，合计 100.00 元')
    await page.keyboard.press('Enter') // the chosen deposit's 解款单
    await page.locator('[data-testid="deposit-slip"] [data-testid="receipt-preview"][data-rendered="true"]').waitFor({ timeout: 20_000 })
    // P, and P again while the first is at the (held) printer: one print.
    stack.holdPrinter()
    try {
      await page.keyboard.press('p')
      await until(() => stack.printerWaiting(), 'the slip at the held printer')
      await page.keyboard.press('p')
    } finally {
      stack.releasePrinter()
    }
    await page.getByTestId('deposit-slip-printed').waitFor()
    assert.equal(await text(page, 'deposit-slip-printed'), `已送打印机 ${PRINTER}：解款单 ${SLIP}`)
    const jobs = await waitForPrints(stack.prints, 2)
    assert.ok(pdfText(jobs[1].pdf).includes(SLIP), 'the chosen deposit\'s slip was printed')
    await page.screenshot({ path: artifactPath('deposits-in-transit.png') })
    await page.keyboard.press('Escape')
    await page.getByTestId('deposit-list-dialog').waitFor({ state: 'detached' })
  })

  test('the cashier\'s own 实收日报, exported as CSV and XLSX', async () => {
    await page.keyboard.press('Shift+F12')
    await page.getByTestId('daily-dialog').waitFor()
    await page.getByTestId('daily-heading').waitFor()
    assert.equal(await text(page, 'daily-heading'), `DEMO-01 · ${today} · 收费员 cashier1`)
    assert.equal(await amountText(page, 'daily-total'), amount, 'the day\'s takings are the one payment')
    assert.equal(await amountText(page, 'daily-deposits'), '100.00')
    assert.equal(await page.locator(`[data-testid="daily-receipt-row"][data-receipt="${receiptNo}"]`).count(), 1)
    assert.equal(await page.getByTestId('daily-scope-terminal_day').count(), 0, 'a cashier sees their own takings only')
    await page.screenshot({ path: artifactPath('daily-cashier.png') })

    const csv = await download(page, 'daily-export-csv')
    assert.equal(csv.name, `实收日报-DEMO-01-${today}.csv`)
    const body = csv.bytes.toString('utf8')
    assert.ok(body.includes(receiptNo) && body.includes(amount), `the CSV lists the receipt:\n${body.slice(0, 600)}`)
    await page.getByTestId('daily-exported').waitFor()
    const xlsx = await download(page, 'daily-export-xlsx')
    assert.equal(xlsx.name, `实收日报-DEMO-01-${today}.xlsx`)
    assert.equal(xlsx.bytes.subarray(0, 2).toString('latin1'), 'PK', 'an XLSX is a zip')
    assert.equal(printedPdfs(stack.prints).length, 2, 'an export prints nothing')

    // The day before, at the cashier's screen: a supervisor signs it off there; the cashier is
    // told who and when (the sign-off's answer), and no terminal-day figures are read.
    const yesterday = dayBefore(today)
    const read = []
    const onRequest = (r) => {
      if (r.url().endsWith('/api/call/daily_report')) read.push(JSON.parse(r.postData() ?? '{}').scope)
    }
    await page.getByTestId('daily-prev').click()
    await page.locator('[data-testid="daily-heading"]', { hasText: yesterday }).waitFor()
    page.on('request', onRequest)
    await page.getByTestId('daily-sign').click()
    await page.getByTestId('approval-dialog').waitFor()
    await page.getByTestId('approval-username').fill(DEMO.supervisor.username)
    await page.getByTestId('approval-password').fill(DEMO.supervisor.password)
    const signOff = nextAnswer(page, 'sign_daily_report')
    await page.getByTestId('approval-password').press('Enter')
    const answer = await signOff
    assert.deepEqual(Object.keys(answer).sort(), ['date', 'signed_at', 'signed_by', 'terminal'], 'who and when, no figures')
    assert.equal(answer.date, yesterday)
    await page.getByTestId('daily-signed').waitFor()
    page.off('request', onRequest)
    assert.equal(await text(page, 'daily-signed'), `本终端 ${yesterday} 的实收日报已由 ${answer.signed_by} 于 ${answer.signed_at} 签核，不再变动。`)
    assert.match(answer.signed_at, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    assert.equal(await page.getByTestId('daily-sign').count(), 0, 'signed once')
    assert.deepEqual(read, [], 'the cashier\'s screen reads no report after the sign-off (no terminal-day figures)')
    await page.screenshot({ path: artifactPath('daily-cashier-signoff.png') })
    await page.keyboard.press('Escape')
    await page.getByTestId('daily-dialog').waitFor({ state: 'detached' })
    await page.getByTestId('logout').click()
  })

  test('super1, who took no money, signs the terminal-day off at their own screen; super2, who did, is refused by name', async () => {
    const dayTotal = yuan(fen(amount) + fen(SUPER2_TAKES))

    await login(page, DEMO.supervisor)
    await page.keyboard.press('Shift+F12')
    await page.getByTestId('daily-heading').waitFor()
    assert.equal(await text(page, 'daily-heading'), `DEMO-01 · ${today} · 本终端全天`)
    assert.equal(await amountText(page, 'daily-total'), dayTotal, 'the cashier\'s payment and super2\'s')
    await page.getByTestId('daily-unsigned').waitFor()
    await page.getByTestId('daily-sign').click()
    await page.getByTestId('approval-dialog').waitFor()
    await page.getByTestId('approval-username').fill(SUPER2.username)
    await page.getByTestId('approval-password').fill(SUPER2.password)
    await page.getByTestId('approval-password').press('Enter')
    await page.getByTestId('approval-error').waitFor()
    assert.equal(await text(page, 'approval-error'), 'super2 当日在本终端收过款，不能签核本日报：请当日未收款的值班长签核')
    await page.screenshot({ path: artifactPath('daily-took-money.png') })
    // The supervisor logged in, with their own password.
    await page.getByTestId('approval-username').fill(DEMO.supervisor.username)
    await page.getByTestId('approval-password').fill(DEMO.supervisor.password)
    const reread = nextAnswer(page, 'daily_report')
    await page.getByTestId('approval-password').press('Enter')
    const view = await reread
    assert.equal(view.signed_by, '王建国', 'the report read again after the sign-off is the signed one')
    await page.locator('[data-testid="daily-signed"]', { hasText: '已签核：' }).waitFor()
    assert.match(await text(page, 'daily-signed'), /^已签核：王建国，\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}。/)
    assert.equal(await page.getByTestId('daily-sign').count(), 0, 'signed once')
    assert.equal(await amountText(page, 'daily-total'), dayTotal)
    await page.screenshot({ path: artifactPath('daily-signed.png') })

    const pdfAnswer = nextAnswer(page, 'daily_report_pdf')
    await page.getByTestId('daily-pdf').click()
    const preview = documentText(await pdfAnswer)
    for (const want of ['实收日报', receiptNo, SLIP, '王建国']) assert.ok(preview.includes(want), `the report's preview shows ${want}:\n${preview}`)
    await page.locator('[data-testid="daily-pdf-view"] [data-testid="receipt-preview"][data-rendered="true"]').waitFor({ timeout: 20_000 })
    const jobsBefore = printedPdfs(stack.prints).length
    await page.getByTestId('daily-print').click()
    await page.getByTestId('daily-printed').waitFor()
    assert.equal(await text(page, 'daily-printed'), `已送打印机 ${PRINTER}：实收日报 DEMO-01 ${today}`)
    const jobs = await waitForPrints(stack.prints, jobsBefore + 1)
    assert.equal(jobs.length, jobsBefore + 1, 'printed once')
    const printed = pdfText(jobs.at(-1).pdf)
    for (const want of ['实收日报', receiptNo, SLIP, grouped(dayTotal), '王建国']) assert.ok(printed.includes(want), `the printed report shows ${want}:\n${printed}`)
    await page.screenshot({ path: artifactPath('daily-pdf.png') })
    await page.keyboard.press('Escape')

    // A payment after the sign-off: the day's report stays as signed.
    await asUser(stack, DEMO.cashier, (token) => collect(stack, token, '10.00'))
    await page.keyboard.press('Shift+F12')
    await page.getByTestId('daily-signed').waitFor()
    assert.equal(await amountText(page, 'daily-total'), dayTotal, 'the signed report does not change')
    await page.keyboard.press('Escape')
    await page.getByTestId('logout').click()
  })

  test('finance reads the signed day and the deposits, and signs nothing', async () => {
    await login(page, DEMO.finance)
    await page.keyboard.press('Shift+F12')
    await page.getByTestId('daily-signed').waitFor()
    assert.equal(await page.getByTestId('daily-sign').count(), 0)
    await page.keyboard.press('Escape')
    await page.keyboard.press('Shift+F10')
    await page.locator(`[data-testid="deposit-row"][data-slip="${SLIP}"]`).waitFor()
    await page.keyboard.press('Escape')
    const signed = await asUser(stack, DEMO.finance, (token) => stack.api('daily_report', { token, date: today, scope: { kind: 'terminal_day' } }))
    assert.equal(signed.signed_by, '王建国')
  })
})

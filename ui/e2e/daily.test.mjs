// The day's takings against the real core: a cashier takes a payment and deposits cash (解款), has
// the 解款单 on screen and prints it (the webview's print, stubbed here), sees the deposit 在途 in
// 解款记录 (Shift+F10) and their own 实收日报 (Shift+F12), and exports it as CSV and XLSX (the
// webview's download). The PDFs are read back from the core's answers with pdftotext. A supervisor who took no money opens the terminal-day and
// signs it off in the approval dialog: their own name is refused as the person logged in
// (APPROVAL_SELF, in the sign-off's words), a second supervisor's own password signs it; the
// report then shows 已签核 and no longer changes (a later payment that day leaves it as signed).
// A finance user reads it and has no 签核.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ARREARS_ACCOUNT, DEMO, artifactPath, finishResult, login, openAccount, pdfText, startStack, text } from './harness.mjs'

const SLIP = 'JK-E2E-0001'
const SUPER2 = { username: 'super2', password: 'Zweiter#Leiter26' }

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

/** The webview's print is the system dialog: count the calls instead (the test's stand-in printer). */
async function stubPrint(page) {
  await page.evaluate(() => {
    window.__prints = []
    window.print = () => {
      window.__prints.push({ title: document.title, pages: document.querySelectorAll('#cashdesk-print img').length })
    }
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
    amount = await text(page, 'result-amount')
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
    await stubPrint(page)
    await page.keyboard.press('p')
    await page.getByTestId('deposit-slip-printed').waitFor()
    const printedSlips = await page.evaluate(() => window.__prints)
    assert.equal(printedSlips.length, 1, 'P printed the slip once')
    assert.ok(printedSlips[0].pages >= 1)
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
    await page.screenshot({ path: artifactPath('deposits-in-transit.png') })
    await page.keyboard.press('Escape')
    await page.getByTestId('deposit-list-dialog').waitFor({ state: 'detached' })
  })

  test('the cashier\'s own 实收日报, exported as CSV and XLSX', async () => {
    await page.keyboard.press('Shift+F12')
    await page.getByTestId('daily-dialog').waitFor()
    await page.getByTestId('daily-heading').waitFor()
    assert.equal(await text(page, 'daily-heading'), `DEMO-01 · ${today} · 收费员 cashier1`)
    assert.equal(await text(page, 'daily-total'), amount, 'the day\'s takings are the one payment')
    assert.equal(await text(page, 'daily-deposits'), '100.00')
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
    await page.keyboard.press('Escape')
    await page.getByTestId('daily-dialog').waitFor({ state: 'detached' })
    await page.getByTestId('logout').click()
  })

  test('a supervisor signs the terminal-day off with a second supervisor\'s own password; it no longer changes', async () => {
    await login(page, DEMO.supervisor)
    await page.keyboard.press('Shift+F12')
    await page.getByTestId('daily-heading').waitFor()
    assert.equal(await text(page, 'daily-heading'), `DEMO-01 · ${today} · 本终端全天`)
    assert.equal(await text(page, 'daily-total'), amount)
    await page.getByTestId('daily-unsigned').waitFor()
    await page.getByTestId('daily-sign').click()
    await page.getByTestId('approval-dialog').waitFor()
    await page.getByTestId('approval-username').fill(DEMO.supervisor.username)
    await page.getByTestId('approval-password').fill(DEMO.supervisor.password)
    await page.getByTestId('approval-password').press('Enter')
    await page.getByTestId('approval-error').waitFor()
    assert.match(await text(page, 'approval-error'), /^签核人不能是当前登录的本人/)
    await page.getByTestId('approval-username').fill(SUPER2.username)
    await page.getByTestId('approval-password').fill(SUPER2.password)
    await page.getByTestId('approval-password').press('Enter')
    await page.getByTestId('daily-signed').waitFor()
    assert.match(await text(page, 'daily-signed'), /^已签核：super2，/)
    assert.equal(await page.getByTestId('daily-sign').count(), 0, 'signed once')
    await page.screenshot({ path: artifactPath('daily-signed.png') })
    const pdfAnswer = nextAnswer(page, 'daily_report_pdf')
    await page.getByTestId('daily-pdf').click()
    const printedReport = documentText(await pdfAnswer)
    for (const want of ['实收日报', receiptNo, SLIP, 'super2']) assert.ok(printedReport.includes(want), `the report PDF shows ${want}:\n${printedReport}`)
    await page.locator('[data-testid="daily-pdf-view"] [data-testid="receipt-preview"][data-rendered="true"]').waitFor({ timeout: 20_000 })
    await stubPrint(page)
    await page.getByTestId('daily-print').click()
    await page.getByTestId('daily-printed').waitFor()
    assert.equal((await page.evaluate(() => window.__prints)).length, 1)
    await page.screenshot({ path: artifactPath('daily-pdf.png') })
    await page.keyboard.press('Escape')

    // A payment after the sign-off: the day's report stays as signed.
    await asUser(stack, DEMO.cashier, (token) =>
      stack.api('collect', {
        token,
        account_no: ARREARS_ACCOUNT,
        method: 'cash',
        amount: '10.00',
        tendered: '10.00',
        confirm_large: false,
        voucher: null,
        waive_late_fee: null,
        approval: null,
      }),
    )
    await page.keyboard.press('Shift+F12')
    await page.getByTestId('daily-signed').waitFor()
    assert.equal(await text(page, 'daily-total'), amount, 'the signed report does not change')
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
    assert.equal(signed.signed_by, 'super2')
  })
})

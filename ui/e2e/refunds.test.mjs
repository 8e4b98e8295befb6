// Refunds (退费) against the real core, keyed as a cashier keys them.
//
// (a) At the counter only: cashier1, with no shift open (a refund moves no cash at the counter),
//     opens a prepaid account with a balance, F3, chooses 多缴, types the amount, the bank, the
//     branch and the payee's account number (read back in groups of four), ticks the ID card, and
//     submits. The request is shown with its number and the masked account, 待营业厅审核; its
//     退费申请单 is previewed (refund_pdf, counting nothing) and printed once on the counter's printer
//     (print_document, to the fake printer e2e/fake-lp.sh); the printed text names the request, the
//     whole account number and the amount in 大写. P prints it again, once for a doubled P: the
//     preview and the print both say 重打 (第1次). The cashier's own password cannot approve it
//     (APPROVAL_SELF); super1's can, in the same approval dialog. The account card shows what is
//     held; Shift+F3 lists the request as 营业厅已审核 with its history; a rejected request's
//     退费通知单 is printed with the account masked.
// (b) The whole path with a real ledger (see the second describe).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEMO, artifactPath, login, openAccount, pdfText, printedPdfs, startLedger, startStack, text, waitForPrints, amountText } from './harness.mjs'

/** A prepaid demo account with money on it: 杨军, residential, 1395.99 (the demo data is seeded). */
const REFUND_ACCOUNT = '3100000045'
const REQUEST_NO = /^DEMO-01-TF-\d{4}-\d{6}$/
const PAYEE_ACCOUNT = '6222 0212 3456 7890 123'
const PRINTER = 'counter-test'
/** The mark of the n-th reprint beside a refund document's title. */
const reprintMark = (n) => new RegExp(`重打\\s*\\(第${n}次\\)`)

/** The text of a DocumentPdf the core answered (base64), via pdftotext. */
function documentText(doc) {
  const dir = mkdtempSync(join(tmpdir(), 'cashdesk-refund-pdf-'))
  try {
    const file = join(dir, 'doc.pdf')
    writeFileSync(file, Buffer.from(doc.pdf_base64, 'base64'))
    return pdfText(file)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The next answer of `cmd` on the page (set up before the key that causes it). */
function nextAnswer(page, cmd) {
  const answer = page.waitForResponse((r) => r.url().endsWith(`/api/call/${cmd}`), { timeout: 30_000 })
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

/** The counter's printer, set by a supervisor (documents print on it, as receipts do). */
async function setPrinter(stack) {
  const { token } = await stack.api('login', DEMO.supervisor)
  await stack.api('set_print_settings', { token, printer: PRINTER, paper: 'a4' })
  await stack.api('logout', { token })
}

async function focusedTestId(page) {
  return page.evaluate(() => document.activeElement?.getAttribute('data-testid'))
}

/** Type the approver's name and password into the approval dialog, Enter between and after. */
async function approveAs(page, { username, password }) {
  await page.getByTestId('approval-dialog').waitFor()
  assert.equal(await page.getByTestId('approval-username').inputValue(), '', 'the approver is never prefilled')
  await page.getByTestId('approval-username').focus()
  await page.keyboard.type(username)
  await page.keyboard.press('Enter')
  await page.keyboard.type(password)
  await page.keyboard.press('Enter')
}

/**
 * F3 on the open account and a 多缴 request for `amount`, keyed field by field. Resolves the
 * submit_refund answer and the refund_pdf answer (the form's preview, printed at once).
 */
async function submitRefund(page, amount) {
  await page.getByTestId('key-F3').waitFor()
  await page.keyboard.press('F3')
  await page.getByTestId('refund-dialog').waitFor()
  await page.getByTestId('refund-summary').waitFor()
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'refund-reason-select')
  await page.keyboard.press('ArrowDown') // 多缴, the first reason
  assert.equal(await page.getByTestId('refund-reason-select').inputValue(), 'overpaid')
  await page.keyboard.press('Enter')
  assert.equal(await focusedTestId(page), 'refund-amount-input')
  await page.keyboard.type(amount)
  await page.keyboard.press('Enter')
  assert.equal(await focusedTestId(page), 'refund-payee-name', 'on to the payee, the 户名 proposed')
  assert.equal(await page.getByTestId('refund-payee-name').inputValue(), '杨军')
  await page.keyboard.press('Enter')
  await page.keyboard.type('中国工商银行')
  await page.keyboard.press('Enter')
  await page.keyboard.type('示范市城关支行')
  await page.keyboard.press('Enter')
  assert.equal(await focusedTestId(page), 'refund-account')
  await page.keyboard.type(PAYEE_ACCOUNT.replaceAll(' ', ''))
  assert.equal(await text(page, 'refund-account-grouped'), PAYEE_ACCOUNT, 'read back in groups of four')
  await page.keyboard.press('Enter')
  assert.equal(await focusedTestId(page), 'refund-doc-id')
  await page.keyboard.press('Space') // 身份证 seen
  const submitted = nextAnswer(page, 'submit_refund')
  const form = nextAnswer(page, 'refund_pdf')
  await page.keyboard.press('Control+Enter')
  const answer = await submitted
  assert.equal(answer.status(), 200, `submit_refund answered: ${await answer.text()}`)
  return { request: await answer.json(), form }
}

describe('refunds at the counter: F3, the form, the hall decision', () => {
  let stack
  let page
  let requestNo

  before(async () => {
    stack = await startStack()
    await setPrinter(stack)
    page = await stack.page()
  })
  after(async () => {
    stack?.releasePrinter()
    await stack?.stop()
  })

  test('a cashier without a shift: F3 on a prepaid account shows what can be refunded', async () => {
    await login(page, DEMO.cashier)
    await page.getByTestId('shift-open').waitFor() // no shift, and none opened
    await openAccount(page, REFUND_ACCOUNT)
    assert.equal(await page.getByTestId('key-F5').count(), 0, 'no collection keys without a shift')
    assert.equal(await text(page, 'key-F3'), 'F3 退费')
    assert.equal(await text(page, 'key-S-F3'), 'Shift+F3 退费审核')
    assert.equal(await page.getByTestId('account-refunds').count(), 0, 'nothing held yet')

    await page.keyboard.press('F3')
    await page.getByTestId('refund-summary').waitFor()
    assert.equal(await amountText(page, 'refund-balance'), '1395.99')
    assert.equal(await amountText(page, 'refund-held'), '0.00')
    assert.equal(await amountText(page, 'refund-refundable'), '1395.99')
    assert.equal(await text(page, 'refund-cap'), '最多可退 1,395.99')

    // The rules before anything is sent: more than refundable, and a payee account too short.
    await page.keyboard.press('ArrowDown')
    await page.getByTestId('refund-amount-input').fill('1396.00')
    await page.getByTestId('refund-account').fill('6222')
    await page.keyboard.press('Control+Enter')
    assert.equal(await text(page, 'refund-error-amount'), '退费金额不能超过可退金额 1,395.99')
    assert.equal(await focusedTestId(page), 'refund-amount-input')
    await page.keyboard.press('F4') // 全部可退
    assert.equal(await page.getByTestId('refund-amount-input').inputValue(), '1395.99')
    assert.match(await text(page, 'refund-words'), /人民币壹仟叁佰玖拾伍元玖角玖分/)
    await page.screenshot({ path: artifactPath('refund-dialog.png') })
    await page.keyboard.press('Escape')
    await page.getByTestId('refund-dialog').waitFor({ state: 'detached' })
  })

  test('submitted: the request holds the amount, its form is printed with the number and 大写', async () => {
    const { request, form } = await submitRefund(page, '800.00')
    requestNo = request.request_no
    assert.match(requestNo, REQUEST_NO)
    await page.getByTestId('refund-request').waitFor()
    assert.equal(await text(page, 'refund-request-no'), requestNo)
    assert.equal(await text(page, 'refund-state'), '待营业厅审核')
    assert.equal(await text(page, 'refund-account-masked'), '6222 **** **** 0123', 'masked everywhere but the form')
    assert.equal(await text(page, 'refund-amount'), '800.00')

    // The form: previewed (as it will print), then printed once on the counter's printer.
    const previewText = documentText(await (await form).json())
    for (const want of ['退费申请单', requestNo, '人民币捌佰元整', PAYEE_ACCOUNT, '杨军', '多缴']) {
      assert.ok(previewText.includes(want), `the form's preview shows ${want}:\n${previewText}`)
    }
    await page.locator('[data-testid="refund-print-status"][data-state="printed"]').waitFor()
    assert.equal(await text(page, 'refund-printed'), `已送打印机 ${PRINTER}：退费申请单 ${requestNo}`)
    await page.locator('[data-testid="refund-request"] [data-testid="receipt-preview"][data-rendered="true"]').waitFor({ timeout: 20_000 })
    const jobs = await waitForPrints(stack.prints, 1)
    assert.equal(jobs.length, 1, 'printed once')
    assert.ok(jobs[0].args.includes(PRINTER), `to the counter's printer: ${jobs[0].args}`)
    const printed = pdfText(jobs[0].pdf)
    for (const want of ['退费申请单', requestNo, '人民币捌佰元整', PAYEE_ACCOUNT, '杨军', '多缴']) {
      assert.ok(printed.includes(want), `the printed form shows ${want}:\n${printed}`)
    }
    assert.doesNotMatch(printed, /重打/, 'the first print is no reprint')
    assert.doesNotMatch(previewText, /重打/, 'nor is its preview')
    await page.screenshot({ path: artifactPath('refund-submitted.png'), fullPage: true })
  })

  test('P prints the form again, marked 重打; a doubled P prints once', async () => {
    assert.equal(await focusedTestId(page), 'refund-request', 'the request has the keys')
    const preview = nextAnswer(page, 'refund_pdf')
    stack.holdPrinter()
    try {
      await page.keyboard.press('p')
      await until(() => stack.printerWaiting(), 'the form at the held printer')
      await page.keyboard.press('p') // again, while the first is at the printer
    } finally {
      stack.releasePrinter()
    }
    const previewText = documentText(await (await preview).json())
    assert.match(previewText, reprintMark(1), `the preview says what the print will be:\n${previewText}`)
    await page.locator('[data-testid="refund-print-status"][data-state="printed"]').waitFor()
    const jobs = await waitForPrints(stack.prints, 2)
    const printed = pdfText(jobs[1].pdf)
    assert.ok(printed.includes('退费申请单') && printed.includes(requestNo), printed)
    assert.match(printed, reprintMark(1), `the first reprint (the previews counted nothing):\n${printed}`)
    assert.equal(printedPdfs(stack.prints).length, 2, 'the doubled P printed once')
    await page.screenshot({ path: artifactPath('refund-reprinted.png'), fullPage: true })
  })

  test('营业厅审核: the cashier\'s own password is refused; super1 approves', async () => {
    assert.equal(await focusedTestId(page), 'refund-request', 'the request has the keys')
    await page.keyboard.press('a')
    await approveAs(page, DEMO.cashier)
    await page.getByTestId('approval-error').waitFor()
    assert.equal(await text(page, 'approval-error'), '不能为自己的操作授权，请另一位值班长授权')
    assert.match(await text(page, 'approval-action'), new RegExp(`同意退费 ${requestNo}，800\\.00 元`))
    await page.screenshot({ path: artifactPath('refund-approval-self.png') })

    await page.getByTestId('approval-username').fill('')
    await approveAs(page, DEMO.supervisor)
    await page.getByTestId('approval-dialog').waitFor({ state: 'detached' })
    await page.locator('[data-testid="refund-request"][data-state="hall_approved"]').waitFor()
    assert.equal(await text(page, 'refund-state'), '营业厅已审核')
    assert.match(await text(page, 'refund-hall'), /营业厅已审核同意（王建国，\d{4}-/)
    assert.equal(await page.getByTestId('refund-hall-actions').count(), 0, 'decided: no more hall actions')
    await page.screenshot({ path: artifactPath('refund-hall-approved.png'), fullPage: true })

    await page.keyboard.press('Escape')
    await page.getByTestId('refund-dialog').waitFor({ state: 'detached' })
    await page.getByTestId('account-refunds').waitFor()
    assert.equal(await text(page, 'account-refunds-held'), '退费冻结 800.00（1 笔未办结），可退 595.99')
  })

  test('Shift+F3 lists the request as 营业厅已审核, with its history', async () => {
    await page.keyboard.press('Shift+F3')
    await page.getByTestId('refund-list-dialog').waitFor()
    await page.getByTestId('refund-list-empty').waitFor() // 待营业厅审核: nothing waits any more
    await page.getByTestId('refund-filter').selectOption('hall_approved')
    await page.getByTestId('refund-list').waitFor()
    const row = page.locator(`[data-testid="refund-row"][data-request="${requestNo}"]`)
    assert.equal(await row.getByTestId('refund-row-state').textContent(), '营业厅已审核')
    await page.getByTestId('refund-list').focus()
    await page.screenshot({ path: artifactPath('refund-list.png') })
    await page.keyboard.press('Enter')
    await page.getByTestId('refund-request').waitFor()
    const steps = await page.getByTestId('refund-history-row').allTextContents()
    assert.equal(steps.length, 2, steps.join(' | '))
    assert.match(steps[0], /cashier1.*受理申请.*待营业厅审核/)
    assert.match(steps[1], /super1.*营业厅同意.*营业厅已审核/)
    assert.equal(await page.getByTestId('refund-print-notice').count(), 0, 'no notice before the request is final')
    await page.keyboard.press('Escape') // back to the list
    await page.getByTestId('refund-list').waitFor()
    await page.keyboard.press('Escape')
    await page.getByTestId('refund-list-dialog').waitFor({ state: 'detached' })
  })

  test('a second request rejected at the hall with a reason releases its hold; its notice can be printed', async () => {
    const { request, form } = await submitRefund(page, '100.00')
    await form
    await page.locator('[data-testid="refund-print-status"][data-state="printed"]').waitFor()
    await page.keyboard.press('r')
    assert.equal(await focusedTestId(page), 'refund-reject-reason')
    await page.keyboard.press('Enter')
    assert.equal(await text(page, 'refund-reject-missing'), '驳回须写明原因（2–200 个字）')
    await page.keyboard.type('收款账号与户名不符')
    await page.keyboard.press('Enter')
    await approveAs(page, DEMO.supervisor)
    await page.locator('[data-testid="refund-request"][data-state="hall_rejected"]').waitFor()
    assert.match(await text(page, 'refund-hall'), /营业厅已驳回.*收款账号与户名不符/)
    const jobsBefore = printedPdfs(stack.prints).length
    const notice = nextAnswer(page, 'refund_pdf')
    await page.keyboard.press('n')
    const noticeText = documentText(await (await notice).json())
    assert.ok(noticeText.includes('退费通知单') && noticeText.includes(request.request_no), noticeText)
    assert.ok(!noticeText.includes(PAYEE_ACCOUNT), 'the notice masks the account number')
    await page.locator('[data-testid="refund-print-status"][data-doc="notice"][data-state="printed"]').waitFor()
    assert.equal(await text(page, 'refund-printed'), `已送打印机 ${PRINTER}：退费通知单 ${request.request_no}`)
    const jobs = await waitForPrints(stack.prints, jobsBefore + 1)
    const printed = pdfText(jobs.at(-1).pdf)
    for (const want of ['退费通知单', request.request_no, '驳回', '收款账号与户名不符']) assert.ok(printed.includes(want), `the printed notice shows ${want}:\n${printed}`)
    assert.ok(!printed.includes(PAYEE_ACCOUNT), 'the printed notice masks the account number')
    assert.doesNotMatch(printed, /重打/)
    await page.keyboard.press('Escape')
    await page.getByTestId('refund-dialog').waitFor({ state: 'detached' })
    // Only the first request holds money now.
    await page.waitForFunction(() => document.querySelector('[data-testid="account-refunds-held"]')?.textContent?.includes('1 笔'))
    assert.equal(await text(page, 'account-refunds-held'), '退费冻结 800.00（1 笔未办结），可退 595.99')
    await page.screenshot({ path: artifactPath('refund-account-card.png') })
  })
})

// (b) The whole path across a real counter and a real ledger (cashdesk-ledger serve on a throwaway
//     PostgreSQL, the counter enrolled, its token in a real keyring). cashier1 submits two requests
//     and super1 approves both at the hall; 立即同步 takes them to the ledger. In the finance view
//     (log-in screen → 财务复核登录, the ledger this counter is enrolled with): a ledger user who
//     approved at the hall (super1, the same person) is refused in words (REFUND_OWN); an auditor
//     reads only; finance1 opens the first request (masked account, documents, the account at the
//     ledger), approves it and records its payout (the approved amount proposed). On the second,
//     finance2 (at the ledger's command line) rejects first: finance1's approval is told who did
//     what (CONFLICT). Back at the counter, after a sync: the first is 已付款 — its 退费通知单 says so
//     with the bank reference — the balance is lower by the amount, and the second is 财务驳回 with
//     its hold released.
const LEDGER_PASSWORD = 'Ledger#2026-refunds'
const BANK_REF = 'ICBC20261206001'

/** Log in to the finance view from the log-in screen (the enrolled ledger: no URL typed). */
async function financeLogin(page, username) {
  await page.getByTestId('login-mode').click()
  await page.getByTestId('login-title').filter({ hasText: '财务复核登录' }).waitFor()
  await page.getByTestId('login-username').fill(username)
  await page.getByTestId('login-username').press('Enter')
  await page.getByTestId('login-password').fill(LEDGER_PASSWORD)
  await page.getByTestId('login-password').press('Enter')
  await page.getByTestId('finance-view').waitFor()
}

async function financeLogout(page) {
  await page.getByTestId('finance-logout').click()
  await page.getByTestId('login-username').waitFor()
}

/** 立即同步, and wait until nothing waits to go up. */
async function syncNow(page) {
  const synced = page.waitForResponse(
    async (r) => r.url().endsWith('/api/call/sync_status') && r.ok() && (await r.json()).waiting === 0,
    { timeout: 45_000 },
  )
  synced.catch(() => undefined)
  const answered = nextAnswer(page, 'sync_now')
  await page.getByTestId('sync-now').click()
  const response = await answered
  assert.equal(response.status(), 200, `立即同步 answered: ${await response.text()}`)
  await synced
}

/** Esc from a request in the finance view: back to the list, read again. */
async function financeBack(page) {
  const listed = nextAnswer(page, 'finance_refunds')
  await page.keyboard.press('Escape')
  await listed
  await page.getByTestId('finance-list').waitFor()
}

/** Open the finance list's row of `requestNo` (Home, ↓ to it, Enter). */
async function openFinanceRow(page, requestNo) {
  await page.getByTestId('finance-list').waitFor()
  const rows = await page.getByTestId('finance-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-request')))
  const i = rows.indexOf(requestNo)
  assert.ok(i >= 0, `${requestNo} is listed: ${rows}`)
  await page.getByTestId('finance-list').focus()
  await page.keyboard.press('Home')
  for (let k = 0; k < i; k++) await page.keyboard.press('ArrowDown')
  await page.keyboard.press('Enter')
  await page.getByTestId('finance-detail').waitFor()
  assert.equal(await text(page, 'finance-request-no'), requestNo)
}

describe('refunds end to end: the counter, the hall, the ledger, finance, the payout and back', () => {
  let ledger
  let stack
  let page
  const requests = []

  before(async () => {
    ledger = await startLedger()
    stack = await startStack({ keyring: true })
    await setPrinter(stack)
    page = await stack.page()
    for (const [name, role] of [
      ['finance1', 'finance'],
      ['finance2', 'finance'],
      ['super1', 'finance'], // the hall's supervisor, who is also a finance user at the centre
      ['audit1', 'auditor'],
    ]) {
      ledger.run(['user', 'add', name, '--role', role], `${LEDGER_PASSWORD}\n`)
    }
    const code = ledger.enrol('DEMO-01')
    const { token } = await stack.api('login', DEMO.admin)
    await stack.api('sync_enrol', { token, url: ledger.url, code })
    // The first round after enrolment brings the whole province down: let it finish before the
    // cashier works, as a counter being set up would (it holds the counter's database meanwhile).
    const until = Date.now() + 90_000
    while ((await stack.api('sync_status', { token })).last_success === null) {
      if (Date.now() > until) throw new Error('the counter did not finish its first sync with the ledger in 90 s')
      await new Promise((r) => setTimeout(r, 250)) // poll interval, not a wait for readiness
    }
    await stack.api('logout', { token })
  })
  after(async () => {
    await stack?.stop().catch((e) => console.error('stopping the stack:', e))
    await ledger?.stop().catch((e) => console.error('stopping the ledger:', e))
  })

  test('at the counter: two requests approved at the hall, and sent to the ledger', async () => {
    await login(page, DEMO.cashier)
    await openAccount(page, REFUND_ACCOUNT)
    for (const amount of ['800.00', '100.00']) {
      const { request, form } = await submitRefund(page, amount)
      await form
      await page.locator('[data-testid="refund-print-status"][data-state="printed"]').waitFor()
      await page.keyboard.press('a')
      await approveAs(page, DEMO.supervisor)
      await page.locator('[data-testid="refund-request"][data-state="hall_approved"]').waitFor()
      await page.keyboard.press('Escape')
      await page.getByTestId('refund-dialog').waitFor({ state: 'detached' })
      requests.push(request.request_no)
    }
    await syncNow(page)
    const listed = ledger.json(['refund', 'list', '--user', 'finance1'], `${LEDGER_PASSWORD}\n`)
    const states = Object.fromEntries(listed.items.map((r) => [r.request_no, r.state]))
    for (const no of requests) assert.equal(states[no], 'at_ledger', `the ledger holds ${no}: ${JSON.stringify(listed)}`)
    await page.getByTestId('logout').click()
    await page.getByTestId('login-username').waitFor()
  })

  test('finance view: the hall\'s own approver is refused in words; an auditor only reads', async () => {
    await financeLogin(page, 'super1')
    await openFinanceRow(page, requests[0])
    await page.getByTestId('finance-approve').click()
    await page.getByTestId('finance-error').waitFor()
    assert.equal(await text(page, 'finance-error'), '不能复核自己受理或在营业厅审核过的退费申请：请另一位财务人员复核')
    assert.equal(await text(page, 'finance-state'), '待财务复核', 'nothing changed')
    await financeLogout(page)

    await financeLogin(page, 'audit1')
    assert.equal(await text(page, 'finance-role'), '审计（只读）')
    await page.getByTestId('finance-read-only').waitFor()
    await openFinanceRow(page, requests[0])
    assert.equal(await page.getByTestId('finance-approve').count(), 0, 'no decision for an auditor')
    assert.equal(await page.getByTestId('finance-reject').count(), 0)
    await financeLogout(page)
  })

  test('finance1 approves and records the payout of the first; the second was rejected first by finance2', async () => {
    await financeLogin(page, 'finance1')
    assert.equal(await text(page, 'finance-user'), 'finance1')
    assert.equal(await text(page, 'finance-total'), '共 2 笔，合计 900.00 元')
    await page.screenshot({ path: artifactPath('refund-finance-list.png') })

    await openFinanceRow(page, requests[0])
    assert.equal(await text(page, 'finance-account-masked'), '6222 **** **** 0123')
    assert.equal(await text(page, 'finance-docs'), '身份证')
    assert.equal(await amountText(page, 'finance-balance'), '1395.99')
    assert.equal(await amountText(page, 'finance-held'), '900.00')
    assert.match(await text(page, 'finance-hall'), /^super1 \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/)
    await page.getByTestId('finance-approve').click()
    await page.locator('[data-testid="finance-detail"][data-state="finance_approved"]').waitFor()
    assert.equal(await text(page, 'finance-done'), '已复核同意')
    assert.equal(await page.getByTestId('finance-pay-amount').inputValue(), '800.00', 'the approved amount is proposed')
    await page.getByTestId('finance-pay-ref').fill(BANK_REF)
    await page.getByTestId('finance-pay-amount').fill('80.00')
    await page.getByTestId('finance-pay-amount').press('Enter')
    assert.equal(await text(page, 'finance-pay-amount-error'), '实付金额必须等于批准金额 800.00')
    await page.getByTestId('finance-pay-amount').fill('800.00')
    await page.getByTestId('finance-pay-amount').press('Enter')
    await page.locator('[data-testid="finance-detail"][data-state="paid"]').waitFor()
    assert.match(await text(page, 'finance-payout'), new RegExp(`银行流水 ${BANK_REF}，金额 800\\.00`))
    await page.screenshot({ path: artifactPath('refund-finance-paid.png'), fullPage: true })
    await financeBack(page)
    assert.equal(await text(page, 'finance-total'), '共 1 笔，合计 100.00 元', 'the paid one no longer waits for finance')

    // The second: finance2 rejects it at the command line while finance1 has it open.
    await openFinanceRow(page, requests[1])
    ledger.run(['refund', 'reject', requests[1], '--user', 'finance2', '--reason', '收款账户需客户本人持卡到柜台核实'], `${LEDGER_PASSWORD}\n`)
    await page.getByTestId('finance-approve').click()
    await page.getByTestId('finance-error').waitFor()
    const conflict = await text(page, 'finance-error')
    assert.match(conflict, /^另一位复核人已先处理了这笔申请：finance2 rejected request /, conflict)
    await page.locator('[data-testid="finance-detail"][data-state="finance_rejected"]').waitFor()
    await page.screenshot({ path: artifactPath('refund-finance-conflict.png'), fullPage: true })
    await financeLogout(page)
  })

  test('back at the counter: 已付款 with the notice, the balance lower, the rejected hold released', async () => {
    await login(page, DEMO.cashier)
    await syncNow(page)
    await page.keyboard.press('Shift+F3')
    await page.getByTestId('refund-list-dialog').waitFor()
    await page.getByTestId('refund-filter').selectOption('all')
    await page.locator(`[data-testid="refund-row"][data-request="${requests[0]}"][data-state="paid"]`).waitFor()
    await page.locator(`[data-testid="refund-row"][data-request="${requests[1]}"][data-state="finance_rejected"]`).waitFor()
    await page.getByTestId('refund-list').focus()
    const order = await page.getByTestId('refund-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-request')))
    await page.keyboard.press('Home')
    for (let k = 0; k < order.indexOf(requests[0]); k++) await page.keyboard.press('ArrowDown')
    await page.keyboard.press('Enter')
    await page.locator('[data-testid="refund-request"][data-state="paid"]').waitFor()
    assert.equal(await text(page, 'refund-state'), '已付款')
    assert.match(await text(page, 'refund-payout'), new RegExp(`银行流水 ${BANK_REF}，金额 800\\.00`))
    const notice = nextAnswer(page, 'refund_pdf')
    await page.keyboard.press('n')
    const noticeText = documentText(await (await notice).json())
    for (const want of ['退费通知单', requests[0], '已付款', BANK_REF]) assert.ok(noticeText.includes(want), `the notice shows ${want}:\n${noticeText}`)
    await page.locator('[data-testid="refund-print-status"][data-doc="notice"][data-state="printed"]').waitFor()
    const printed = pdfText(printedPdfs(stack.prints).at(-1).pdf)
    for (const want of ['退费通知单', requests[0], '已付款', BANK_REF]) assert.ok(printed.includes(want), `the printed notice shows ${want}:\n${printed}`)
    await page.screenshot({ path: artifactPath('refund-counter-paid.png'), fullPage: true })
    await page.keyboard.press('Escape')
    await page.keyboard.press('Escape')
    await page.getByTestId('refund-list-dialog').waitFor({ state: 'detached' })

    await openAccount(page, REFUND_ACCOUNT)
    await page.waitForFunction(() => document.querySelector('[data-testid="prepaid-balance"]')?.textContent?.trim() === '595.99')
    assert.equal(await page.getByTestId('account-refunds').count(), 0, 'nothing held any more')
  })
})

// Arrears notices (电费催缴通知单) against the real core, keyed as the hall keys them.
//
// An administrator words the notices (F11 → 柜台: the hotline and where to pay). A supervisor opens
// 催费 (Shift+F4): the count and the total answer the filters as the core does; a candidate's
// notice is previewed; 打印 names the count and the printer and asks once more; the progress bar
// reaches the end; the fake printer (e2e/fake-lp.sh) received the PDFs, and their text
// (pdftotext) holds 电费催缴通知单, the new hotline and every account the notice log lists for the
// batch. A second batch, one notice per print job, is cancelled while its first job is in the
// spooler's hands (the printer held by the test): that job's notice is printed and logged, nothing
// after it. A cashier prints one notice with F4 for the account on the counter; a hasty second
// Enter prints nothing more.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ARREARS_ACCOUNT, DEMO, artifactPath, login, openAccount, pdfText, printedPdfs, startStack, text, amountText, grouped } from './harness.mjs'

const PRINTER = 'counter-test'
const HOTLINE = '0931-95598'
const PAY_WHERE = '示范市供电营业厅 1–4 号收费窗口，现金或银行转账'
const NOTICE_NO = /^DEMO-01-CJ\d{6}-\d{4}$/

/** Wait (polling, bounded) until `check()` is true. */
async function until(check, what, ms = 20_000) {
  const end = Date.now() + ms
  for (;;) {
    if (await check()) return
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50)) // poll interval
  }
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

const ALL = { address_prefix: null, category: null, billing_mode: null, min_owed: null, min_days_overdue: null, skip_notified_days: null }

describe('arrears notices: a batch for a supervisor, one at the counter', () => {
  let stack
  let page
  /** Accounts the first batch printed (from the notice log of its run). */
  let batchAccounts = []
  let printsAfterBatch = 0

  before(async () => {
    stack = await startStack()
    page = await stack.page()
    await asUser(stack, DEMO.supervisor, (token) => stack.api('set_print_settings', { token, printer: PRINTER, paper: 'a4' }))
  })
  after(async () => {
    stack?.releasePrinter()
    await stack?.stop()
  })

  test('an administrator sets the hotline and where to pay (F11 → 柜台)', async () => {
    await login(page, DEMO.admin)
    await page.keyboard.press('F11')
    const hotline = page.getByTestId('counter-hotline')
    await hotline.and(page.locator(':enabled')).waitFor()
    assert.equal(await hotline.inputValue(), '95598', 'the default hotline')
    await hotline.fill('')
    await page.getByTestId('counter-save').click()
    await page.getByTestId('counter-hotline-invalid').waitFor()
    await hotline.fill(HOTLINE)
    await page.getByTestId('counter-pay-where').fill(PAY_WHERE)
    await page.getByTestId('counter-pay-where').press('Enter')
    await page.getByTestId('counter-saved').waitFor()
    await page.getByTestId('counter-settings').screenshot({ path: artifactPath('settings-counter-notices.png') })
    const shown = JSON.parse(stack.ctlAs(DEMO.admin, ['--json', 'config', 'show']))
    assert.equal(shown.hotline, HOTLINE)
    assert.equal(shown.pay_where, PAY_WHERE)
    await page.keyboard.press('Escape')
    await page.getByTestId('logout').click()
  })

  test('a supervisor sees at once how many accounts the filters reach and what they owe', async () => {
    await login(page, DEMO.supervisor)
    await page.getByTestId('key-S-F4').waitFor()
    await page.keyboard.press('Shift+F4')
    await page.getByTestId('arrears-dialog').waitFor()
    const summary = page.getByTestId('arrears-summary')
    await summary.and(page.locator('[data-busy="false"]')).waitFor()
    // Everyone: the default skips accounts notified in the last 30 days, and nobody has been yet.
    const core = await asUser(stack, DEMO.supervisor, (token) => stack.api('notice_preview', { token, filter: ALL }))
    assert.ok(core.count >= 20, `the demo has about 25 accounts in arrears; the core says ${core.count}`)
    assert.equal(await summary.getAttribute('data-count'), String(core.count))
    assert.equal(await summary.getAttribute('data-total'), core.total)
    assert.equal(
      await text(page, 'arrears-summary-text'),
      `共 ${core.count} 户，欠费本金 ${grouped(core.principal)} 元，违约金 ${grouped(core.late_fee)} 元，合计 ${grouped(core.total)} 元`,
    )
    assert.equal(await page.getByTestId('arrears-row').count(), Math.min(20, core.count))

    // A district: the answer follows the typing.
    await page.getByTestId('arrears-address').fill('示范市西城区')
    const west = await asUser(stack, DEMO.supervisor, (token) =>
      stack.api('notice_preview', { token, filter: { ...ALL, address_prefix: '示范市西城区', skip_notified_days: 30 } }),
    )
    assert.ok(west.count > 0 && west.count < core.count, `西城区 is some of them: ${west.count} of ${core.count}`)
    await page.locator(`[data-testid="arrears-summary"][data-busy="false"][data-count="${west.count}"]`).waitFor()
    assert.equal(await page.getByTestId('arrears-summary').getAttribute('data-total'), west.total)
    for (const row of await page.getByTestId('arrears-row').allTextContents()) assert.ok(row.includes('示范市西城区'), row)

    // The chosen account's notice, as it would print.
    await page.getByTestId('arrears-list').focus()
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('Enter')
    await page.locator('[data-testid="arrears-dialog"] [data-testid="receipt-preview"][data-rendered="true"]').waitFor({ timeout: 20_000 })
    await page.screenshot({ path: artifactPath('arrears-preview.png') })
    await page.getByTestId('arrears-address').fill('')
    await page.locator(`[data-testid="arrears-summary"][data-busy="false"][data-count="${core.count}"]`).waitFor()
  })

  test('打印 asks once more, then the batch prints with its progress to the end', async () => {
    const count = Number(await page.getByTestId('arrears-summary').getAttribute('data-count'))
    await page.getByTestId('arrears-print').click()
    await page.getByTestId('arrears-confirm').waitFor()
    assert.equal(await text(page, 'arrears-confirm-text'), `将打印 ${count} 份催缴通知单到打印机 ${PRINTER}，确定？`)
    await page.keyboard.press('Escape') // back: nothing printed
    await page.getByTestId('arrears-confirm').waitFor({ state: 'detached' })
    assert.equal(printedPdfs(stack.prints).length, 0)

    await page.getByTestId('arrears-print').click()
    await page.getByTestId('arrears-confirm-yes').waitFor()
    await page.keyboard.press('Enter') // the 确定 button has the focus
    const progress = page.getByTestId('arrears-progress')
    await progress.waitFor()
    await page.locator('[data-testid="arrears-progress"][data-state="done"]').waitFor({ timeout: 60_000 })
    assert.equal(await progress.getAttribute('data-printed'), String(count), 'every selected account printed')
    assert.equal(await progress.getAttribute('data-selected'), String(count))
    assert.equal(await progress.locator('.bar').evaluate((b) => b.style.width), '100%')
    assert.equal(await text(page, 'arrears-run-state'), `完成：已打印 ${count} 份，已记入催费记录`)
    await page.screenshot({ path: artifactPath('arrears-batch-done.png') })

    // The notice log of the run lists each account once.
    await page.getByTestId('arrears-run-log').click()
    await page.getByTestId('notice-log-heading').waitFor()
    const rows = page.getByTestId('notice-log-row')
    assert.equal(await rows.count(), count)
    batchAccounts = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-account')))
    assert.equal(new Set(batchAccounts).size, count, 'one notice per account')
    const numbers = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-notice')))
    for (const n of numbers) assert.match(n, NOTICE_NO)
    await page.screenshot({ path: artifactPath('arrears-log.png') })

    // What the printer got: 电费催缴通知单 with the hotline, for every account logged.
    const jobs = printedPdfs(stack.prints)
    assert.ok(jobs.length >= 1)
    assert.deepEqual(jobs[0].args.slice(0, 2), ['-d', PRINTER])
    const printed = jobs.map((j) => pdfText(j.pdf)).join('\n')
    assert.ok(printed.includes('电费催缴通知单'), printed.slice(0, 400))
    assert.ok(printed.includes(`服务热线：${HOTLINE}`), 'the hotline set in 柜台 is printed')
    assert.match(printed, /回\s*执/, 'the 回执 below the cut line')
    for (const a of batchAccounts) assert.ok(printed.includes(`户号：${a}`), `the notice of ${a} was printed`)
    for (const n of numbers) assert.ok(printed.includes(n), `notice ${n} was printed`)
    printsAfterBatch = jobs.length

    // A dispute: one account's notices by its 户号.
    await page.getByTestId('notice-log-account').fill(batchAccounts[0])
    await page.getByTestId('notice-log-account').press('Enter')
    await page.getByText(`户号 ${batchAccounts[0]} 的催缴通知单（1 份）`).waitFor()

    // The count is asked again: everyone was notified just now.
    await page.getByTestId('arrears-tab-batch').click()
    await page.getByTestId('arrears-new').click()
    await page.locator('[data-testid="arrears-summary"][data-busy="false"][data-count="0"]').waitFor()
  })

  test('a batch cancelled while a job is at the printer: that job is logged, nothing after it', async () => {
    await page.getByTestId('arrears-skip-days').fill('') // everyone again
    await page.locator('[data-testid="arrears-summary"][data-busy="false"]:not([data-count="0"])').waitFor()
    const count = Number(await page.getByTestId('arrears-summary').getAttribute('data-count'))
    await page.getByTestId('arrears-per-pdf').fill('1') // one notice per print job
    stack.holdPrinter()
    await page.getByTestId('arrears-print').click()
    await page.getByTestId('arrears-confirm-yes').click()
    await until(() => stack.printerWaiting(), 'the first job at the held printer')
    await page.getByTestId('arrears-cancel').click()
    await page.getByText('正在取消').waitFor()
    stack.releasePrinter()
    await page.locator('[data-testid="arrears-progress"][data-state="cancelled"]').waitFor({ timeout: 30_000 })
    const progress = page.getByTestId('arrears-progress')
    assert.equal(await progress.getAttribute('data-printed'), '1', 'the job in hand was finished and logged')
    assert.equal(await text(page, 'arrears-run-state'), `已取消：已打印 1 份，已记入催费记录；其余 ${count - 1} 户未打印、未记录`)
    await page.screenshot({ path: artifactPath('arrears-cancelled.png') })
    assert.equal(printedPdfs(stack.prints).length, printsAfterBatch + 1, 'what was logged is what was spooled')
    await page.getByTestId('arrears-run-log').click()
    await page.getByText('的催缴通知单（1 份）').waitFor()
    await page.keyboard.press('Escape')
    await page.getByTestId('arrears-dialog').waitFor({ state: 'detached' })
    await page.getByTestId('logout').click()
  })

  test('a cashier prints one notice with F4; a second Enter prints nothing more', async () => {
    await login(page, DEMO.cashier)
    assert.equal(await page.getByTestId('key-S-F4').count(), 0, 'no batch for a cashier')
    await openAccount(page, ARREARS_ACCOUNT)
    await page.getByTestId('key-F4').waitFor()
    const before = printedPdfs(stack.prints).length
    await page.keyboard.press('F4')
    const dialog = page.getByTestId('notice-dialog')
    await dialog.waitFor()
    await dialog.locator('[data-testid="receipt-preview"][data-rendered="true"]').waitFor({ timeout: 20_000 })
    const quote = stack.quote(ARREARS_ACCOUNT)
    assert.equal(await amountText(page, 'notice-total'), quote.total, 'the notice owes what the counter quotes today')
    await page.getByTestId('notice-recent').waitFor() // the batches above notified it
    await page.screenshot({ path: artifactPath('notice-single-preview.png') })
    await page.keyboard.press('Enter')
    await page.keyboard.press('Enter')
    await page.getByTestId('notice-done').waitFor()
    const noticeNo = await text(page, 'notice-no')
    assert.match(noticeNo, NOTICE_NO)
    assert.ok((await text(page, 'notice-done')).includes(PRINTER))
    await page.screenshot({ path: artifactPath('notice-single-printed.png') })
    await until(() => printedPdfs(stack.prints).length > before, 'the single notice at the printer')
    const jobs = printedPdfs(stack.prints)
    assert.equal(jobs.length, before + 1, 'one notice, one print')
    const single = pdfText(jobs.at(-1).pdf)
    for (const want of ['电费催缴通知单', `户号：${ARREARS_ACCOUNT}`, noticeNo, '人民币']) assert.ok(single.includes(want), `${want}:\n${single}`)
    const log = await asUser(stack, DEMO.cashier, (token) => stack.api('notice_log', { token, account_no: ARREARS_ACCOUNT, limit: 10 }))
    assert.equal(log.filter((e) => e.kind === 'single').length, 1, 'logged once')
    assert.equal(log[0].notice_no, noticeNo)
    await page.keyboard.press('Enter')
    await dialog.waitFor({ state: 'detached' })
  })

  test('an account with nothing overdue offers no F4, and the core agrees', async () => {
    await page.keyboard.press('Escape')
    // The first batch reached every account in arrears: any other account has nothing overdue.
    const other = ['3100000002', '3100000003', '3100000004', '3100000005', '3100000006'].find((a) => !batchAccounts.includes(a))
    assert.ok(other, 'an account not in arrears')
    const refused = await asUser(stack, DEMO.cashier, (token) => stack.api('notice_pdf', { token, account_no: other })).then(
      () => null,
      (e) => e.body?.code,
    )
    assert.equal(refused, 'NO_ARREARS')
    await openAccount(page, other)
    await page.getByTestId('key-F3').waitFor()
    assert.equal(await page.getByTestId('key-F4').count(), 0, 'F4 only with something overdue')
  })
})

// Receipts on paper against the real core: a supervisor sets the counter's printer in Settings; a
// cashier's cash payment prints the receipt at once (no dialog) and shows its preview; P prints it
// again, marked 重打; F8 reprints it by number. The cash is the exact amount, typed by F4. The printer is e2e/fake-lp.sh (CASHDESK_LP), which
// files each job as a PDF; its text is read back with pdftotext.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ARREARS_ACCOUNT, DEMO, artifactPath, finishResult, login, pdfText, startStack, text, waitForPrints } from './harness.mjs'

const RECEIPT_NO = /^DEMO-01-\d{4}-\d{6}$/

async function previewRendered(page, scope) {
  const preview = scope.locator('[data-testid="receipt-preview"][data-rendered="true"]')
  await preview.waitFor({ timeout: 20_000 })
  return preview
}

describe('receipts: settings, print after payment, reprint', () => {
  let stack
  let page
  let receiptNo

  before(async () => {
    stack = await startStack()
    page = await stack.page()
  })
  after(async () => {
    await stack?.stop()
  })

  test('a fresh demo counter on a computer without printers has none, and says whom to ask', async () => {
    await login(page, DEMO.cashier)
    await page.locator('[data-notice="PRINTER_NOT_SET"]').waitFor()
    const notice = await page.locator('[data-notice="PRINTER_NOT_SET"]').textContent()
    assert.match(notice, /请值班长在“设置”（F11）中选择打印机/, `in Chinese, whom to ask and where: ${notice}`)
    await page.screenshot({ path: artifactPath('no-printer-notice.png') })
    await page.getByTestId('logout').click()
  })

  test('a supervisor chooses printer counter-test from the list and A5 paper in Settings (F11)', async () => {
    await login(page, DEMO.supervisor)
    await page.keyboard.press('F11')
    const dialog = page.getByTestId('settings-dialog')
    await dialog.waitFor()
    assert.equal(await page.getByTestId('settings-read-only').count(), 0, 'a supervisor may edit')
    const printer = page.getByTestId('settings-printer')
    await printer.and(page.locator(':enabled')).waitFor()
    assert.equal(await printer.inputValue(), '', 'no printer until one is set')
    await page.getByTestId('settings-no-printer').waitFor()
    await page.locator('[data-testid="settings-printer"] option[value="counter-test"]').waitFor({ state: 'attached' })
    const options = await printer.locator('option').allTextContents()
    assert.deepEqual(options, ['（未选择）', 'counter-test（系统默认）'], 'the computer\'s queues, its default marked')
    await printer.selectOption('counter-test')
    await page.getByTestId('settings-paper-a5').click()
    await page.getByTestId('settings-save').click()
    await page.getByTestId('settings-saved').waitFor()
    await page.screenshot({ path: artifactPath('settings.png') })
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })

    const { token } = await stack.api('login', DEMO.finance)
    assert.deepEqual(await stack.api('print_settings', { token }), { printer: 'counter-test', paper: 'a5' }, 'the core stored them')
    await stack.api('logout', { token })
    // A name the computer does not have is refused by the core, whatever a client sends.
    const sup = await stack.api('login', DEMO.supervisor)
    await assert.rejects(stack.api('set_print_settings', { token: sup.token, printer: 'no-such-queue', paper: 'a5' }), /PRINT_PRINTER_UNKNOWN/)
    await stack.api('logout', { token: sup.token })
    await page.getByTestId('logout').click()
  })

  test('a cashier sees the settings read-only', async () => {
    await login(page, DEMO.cashier)
    await page.getByTestId('open-settings').click()
    await page.getByTestId('settings-dialog').waitFor()
    await page.getByTestId('settings-read-only').waitFor()
    const printer = page.getByTestId('settings-printer')
    await page.waitForFunction(() => document.querySelector('[data-testid="settings-printer"]')?.value === 'counter-test')
    assert.equal(await printer.isDisabled(), true)
    assert.equal(await page.getByTestId('settings-save').count(), 0)
    await page.keyboard.press('Escape')
    await page.getByTestId('settings-dialog').waitFor({ state: 'detached' })
  })

  test('a cash payment prints its receipt at once; the preview shows it; P prints a 重打', async () => {
    await page.getByTestId('shift-open').waitFor()
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'shift-float') // back after Settings
    await page.keyboard.press('Enter') // 开班 with the proposed float
    await page.getByTestId('shift-info').waitFor()
    await page.keyboard.press('F2')
    await page.getByTestId('search-input').waitFor()
    await page.keyboard.type(ARREARS_ACCOUNT)
    await page.keyboard.press('Enter')
    await page.getByTestId('key-F5').waitFor()
    await page.keyboard.press('F5')
    await page.getByTestId('payment-dialog').waitFor()
    await page.keyboard.press('F4') // 实收等于应收: the exact amount typed for the cashier
    assert.equal(await page.getByTestId('pay-tendered').inputValue(), await page.getByTestId('pay-amount').inputValue())
    assert.equal(await text(page, 'pay-change'), '0.00')
    await page.keyboard.press('Enter')

    const result = page.getByTestId('payment-result')
    await result.waitFor()
    receiptNo = await text(page, 'receipt-no')
    assert.match(receiptNo, RECEIPT_NO)
    await page.locator('[data-testid="print-status"][data-state="printed"]').waitFor()
    assert.equal(await text(page, 'printed-on'), '已打印到 counter-test')
    assert.equal(await page.getByTestId('reprint-count').count(), 0, 'the first print is the original')

    const [first] = await waitForPrints(stack.prints, 1)
    assert.deepEqual(first.args.slice(0, 7), ['-d', 'counter-test', '-n', '1', '-o', 'media=A5', '--'], `lp arguments: ${first.args}`)
    const original = pdfText(first.pdf)
    for (const want of ['第一联', '客户联', '记账联', receiptNo, '人民币']) assert.ok(original.includes(want), `the receipt PDF shows ${want}:\n${original}`)
    assert.ok(!original.includes('重打'), 'the original is not marked 重打')

    const preview = await previewRendered(page, result)
    assert.equal(await preview.getAttribute('data-pages'), '3', 'A5: one page per copy (联)')
    const size = await preview.locator('canvas').first().evaluate((c) => ({ w: c.width, h: c.height }))
    assert.ok(size.w > 300 && size.h > 150, `the page is drawn: ${JSON.stringify(size)}`)
    await page.screenshot({ path: artifactPath('receipt-preview.png'), fullPage: true })

    // The result panel answers keys once it has been up for a second.
    await page.locator('[data-testid="payment-result"][data-armed="true"]').waitFor()
    await page.keyboard.press('p')
    await page.getByTestId('reprint-count').waitFor()
    assert.equal(await text(page, 'reprint-count'), '第 1 次重打')
    const jobs = await waitForPrints(stack.prints, 2)
    assert.equal(jobs.length, 2, 'P prints exactly once more')
    const reprint = pdfText(jobs[1].pdf)
    assert.ok(reprint.includes('重打') && reprint.includes(receiptNo), `the reprint is marked 重打:\n${reprint}`)
  })

  test('F8 reprints the last receipt by number, after its preview', async () => {
    await finishResult(page) // printed: one Enter finishes
    await page.getByTestId('no-arrears').waitFor()
    await page.keyboard.press('F8')
    const dialog = page.getByTestId('reprint-dialog')
    await dialog.waitFor()
    assert.equal(await page.getByTestId('reprint-receipt').inputValue(), receiptNo, 'the last receipt is proposed')
    await previewRendered(page, dialog)
    await page.getByTestId('reprint-confirm').waitFor()
    await page.screenshot({ path: artifactPath('reprint-dialog.png') })
    await page.keyboard.press('Enter')
    await page.getByTestId('reprint-done').waitFor()
    assert.equal(await dialog.getByTestId('reprint-count').textContent(), '第 2 次重打')
    const jobs = await waitForPrints(stack.prints, 3)
    assert.ok(pdfText(jobs[2].pdf).includes('重打'))
    // The Enter rule: the 完成 step ignores Enter for its first second (a double Enter).
    await page.locator('[data-testid="reprint-dialog"][data-guarded="false"]').waitFor()
    await page.keyboard.press('Enter')
    await dialog.waitFor({ state: 'detached' })
  })

  test('a supervisor prints a test page from Settings on the chosen printer', async () => {
    await page.getByTestId('logout').click()
    await login(page, DEMO.supervisor)
    const before = (await waitForPrints(stack.prints, 0)).length
    await page.keyboard.press('F11')
    await page.getByTestId('settings-dialog').waitFor()
    await page.locator('[data-testid="settings-printer"] option[value="counter-test"]').waitFor({ state: 'attached' })
    await page.getByTestId('settings-test-page').click()
    await page.getByTestId('settings-test-sent').waitFor()
    assert.equal(await text(page, 'settings-test-sent'), '测试页已送到 counter-test')
    const jobs = await waitForPrints(stack.prints, before + 1)
    const page1 = pdfText(jobs[before].pdf)
    for (const want of ['打印测试页', 'DEMO-01', 'counter-test', '100 mm']) assert.ok(page1.includes(want), `the test page shows ${want}:\n${page1}`)
    await page.screenshot({ path: artifactPath('settings-test-page.png') })
    await page.keyboard.press('Escape')
    await page.getByTestId('settings-dialog').waitFor({ state: 'detached' })
  })
})

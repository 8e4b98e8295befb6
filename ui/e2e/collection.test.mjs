// Taking money against the real core: open a shift, cash payments from the look-up to the
// receipt (a forgotten decimal point caught by the second confirmation, a large change confirmed,
// the result panel that ignores a hasty Enter and wants 收据未打印 acknowledged), an account that
// owes nothing, holiday cash on a Sunday with a supervisor's approval, and a blind count at close
// that shows no amount until the shift is closed. Keys are pressed as a cashier presses them.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ARREARS_ACCOUNT, DEMO, artifactPath, finishResult, login, openAccount, startStack, text, amountText, grouped } from './harness.mjs'

const RECEIPT_NO = /^DEMO-01-\d{4}-\d{6}$/

/** "1680.32" → 168032n: the test's own exact arithmetic, independent of the UI's. */
function fen(s) {
  const [i, f = ''] = s.split('.')
  return BigInt(i) * 100n + BigInt((f + '00').slice(0, 2))
}
function yuan(f) {
  return `${f / 100n}.${(f % 100n).toString().padStart(2, '0')}`
}

/** Fail with the fix when the bridge's command table lacks the collection commands. */
async function needCollectionCommands(stack) {
  const { token } = await stack.api('login', DEMO.finance)
  try {
    await stack.api('current_shift', { token })
  } catch (e) {
    if (e.body?.params?.field === 'cmd') {
      throw new Error(
        `the core's command table does not dispatch the collection commands (${e.body.message}): ` +
          'add current_shift, open_shift, collect, vend, void_payment, deposit and close_shift to src/desk/commands.rs',
      )
    }
    throw e
  } finally {
    await stack.api('logout', { token }).catch(() => undefined)
  }
}

async function openShift(page) {
  await page.getByTestId('shift-open').waitFor()
  const float = page.getByTestId('shift-float')
  assert.equal(await float.inputValue(), '500.00', 'the float is proposed as 500.00')
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'shift-float')
  await page.keyboard.press('Enter')
  await page.getByTestId('shift-info').waitFor()
  assert.match(await text(page, 'shift-info'), /500\.00/, 'the header shows the float of the open shift')
}

async function approve(page, { username, password }) {
  await page.getByTestId('approval-dialog').waitFor()
  assert.equal(await page.getByTestId('approval-username').inputValue(), '', 'the approver is never prefilled')
  await page.keyboard.type(username)
  await page.keyboard.press('Enter')
  await page.keyboard.type(password)
  await page.keyboard.press('Enter')
}

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

/** The payment dialog on the open account: F5, `amount` typed over the proposed total (or kept). */
async function cashDialog(page, amount = null) {
  await page.getByTestId('key-F5').waitFor()
  await page.keyboard.press('F5')
  await page.getByTestId('payment-dialog').waitFor()
  if (amount !== null) {
    await page.getByTestId('pay-amount').fill(amount)
    await page.getByTestId('pay-amount').press('Enter') // on to 实收
  }
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'pay-tendered')
}

describe('a cash payment and the shift around it', () => {
  let stack
  let page
  /** Everything taken in cash in this shift (the drawer holds the float and this). */
  let takenFen = 0n

  before(async () => {
    stack = await startStack()
    await needCollectionCommands(stack)
    page = await stack.page()
  })
  after(async () => {
    await stack?.stop()
  })

  test('a forgotten decimal point (18843 for 188.43) asks a second confirmation in 大写; Esc corrects it', async () => {
    await login(page, DEMO.cashier)
    await openShift(page)
    await openAccount(page, ARREARS_ACCOUNT)
    await page.getByTestId('total').waitFor()
    await cashDialog(page, '188.43')
    await page.keyboard.type('18843')
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/call/collect'))
    await page.keyboard.press('Enter')
    await page.keyboard.press('Enter') // a double Enter: must not confirm what nobody read
    assert.equal((await (await answered).json()).code, 'TENDERED_CONFIRM')

    const confirm = page.getByTestId('tender-confirm')
    await confirm.waitFor()
    // An Enter as soon as it shows is ignored too (its first second).
    assert.equal(await confirm.locator('[data-armed]').getAttribute('data-armed'), 'false')
    await page.keyboard.press('Enter')
    assert.equal(await amountText(page, 'large-amount'), '188.43')
    assert.equal(await amountText(page, 'large-tendered'), '18843.00')
    assert.equal(await text(page, 'large-tendered-words'), '人民币壹万捌仟捌佰肆拾叁元整')
    assert.equal(await amountText(page, 'large-change'), '18654.57')
    assert.equal(await text(page, 'large-change-words'), '人民币壹万捌仟陆佰伍拾肆元伍角柒分')
    await page.screenshot({ path: artifactPath('tender-confirm.png') })
    assert.equal(await page.getByTestId('payment-result').count(), 0, 'the second Enter confirmed nothing')

    await page.keyboard.press('Escape')
    await confirm.waitFor({ state: 'detached' })
    assert.equal(await page.getByTestId('payment-dialog').count(), 1, 'Esc went back to the payment, not out of it')
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'pay-tendered')
    await page.keyboard.type('200') // the field was selected: typed over
    assert.equal(await page.getByTestId('pay-tendered').inputValue(), '200')
    assert.equal(await text(page, 'pay-change'), '11.57')
    await page.keyboard.press('Enter')

    const result = page.getByTestId('payment-result')
    await result.waitFor()
    // An Enter at once (the cashier's second press) is ignored: the result stays to be read.
    assert.equal(await result.getAttribute('data-armed'), 'false')
    await page.keyboard.press('Enter')
    await page.locator('[data-testid="payment-result"][data-armed="true"]').waitFor()
    assert.equal(await result.count(), 1, 'the result is still there')
    assert.equal(await amountText(page, 'result-amount'), '188.43')
    assert.equal(await amountText(page, 'result-change'), '11.57')
    takenFen += fen('188.43')
    await finishResult(page)
  })

  test('a large change, confirmed after reading it, is taken (confirm_large)', async () => {
    await page.getByTestId('total').waitFor()
    await cashDialog(page, '50.00')
    await page.keyboard.type('200')
    await page.keyboard.press('Enter')
    await page.getByTestId('tender-confirm').waitFor()
    assert.equal(await amountText(page, 'large-change'), '150.00')
    assert.equal(await text(page, 'large-change-words'), '人民币壹佰伍拾元整')
    // Enter counts only once the panel has been up for a second.
    await page.locator('[data-testid="tender-confirm"] [data-armed="true"]').waitFor()
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/call/collect'))
    await page.keyboard.press('Enter')
    const response = await answered
    assert.equal(response.status(), 200, await response.text())
    assert.equal(JSON.parse(response.request().postData() ?? '{}').confirm_large, true)
    await page.getByTestId('payment-result').waitFor()
    assert.equal(await amountText(page, 'result-change'), '150.00')
    takenFen += fen('50.00')
    await finishResult(page)
  })

  test('cashier takes the rest of the arrears in cash with change; 收据未打印 is acknowledged first', async () => {
    // The card reloads after the last result is finished: the counter shows the core's quote once it has.
    const quoted = stack.quote(ARREARS_ACCOUNT).total
    const shown = grouped(quoted) // as every screen shows an amount
    await page.getByTestId('total').filter({ hasText: new RegExp(`^\\s*${shown.replace('.', '\\.')}\\s*$`) }).waitFor()
    const total = await amountText(page, 'total')
    assert.equal(total, quoted, 'the counter shows the core quote')
    await cashDialog(page)
    assert.equal(await page.getByTestId('pay-amount').inputValue(), total, 'the amount proposed is the total')
    // The customer hands over the next full hundred.
    const tenderedFen = (fen(total) / 10000n + 1n) * 10000n
    const tendered = `${tenderedFen / 100n}`
    await page.keyboard.type(tendered)
    const change = yuan(tenderedFen - fen(total))
    assert.equal(await text(page, 'pay-change'), change, 'the change follows the typing')
    assert.match(await text(page, 'pay-words'), /^大写\s*人民币/, 'the 大写 of the amount is shown')
    assert.match(await text(page, 'pay-keys'), /F4 实收等于应收/, 'the exact-amount key is named')
    await page.screenshot({ path: artifactPath('cash-dialog.png') })
    await page.keyboard.press('Enter')

    const result = page.getByTestId('payment-result')
    await result.waitFor()
    assert.match(await text(page, 'receipt-no'), RECEIPT_NO)
    assert.equal(await amountText(page, 'result-amount'), total)
    assert.equal(await amountText(page, 'result-change'), change, "the core's change is the one previewed")
    assert.ok((await page.getByTestId('allocation-line').count()) >= 1, 'the allocation is listed')
    assert.ok(await text(page, 'verification-code'), 'the 校验码 is shown')
    // No printer is set at this counter: the receipt is not printed, and the payment stands.
    await page.locator('[data-testid="print-status"][data-state="failed"]').waitFor()
    assert.match(await text(page, 'print-error'), /未设置打印机：请值班长在设置中选择打印机/)
    assert.match(await text(page, 'payment-kept'), /已入账/)
    assert.equal(await text(page, 'print-ack'), '收据未打印 — 按 Enter 确认')
    await page.screenshot({ path: artifactPath('payment.png') })

    await page.locator('[data-testid="payment-result"][data-armed="true"]').waitFor()
    await page.keyboard.press('Enter')
    await page.getByTestId('print-acked').waitFor()
    assert.equal(await result.count(), 1, 'the first Enter acknowledged the print failure only')
    await page.keyboard.press('Enter')
    await page.getByTestId('no-arrears').waitFor()
    assert.equal(await text(page, 'account-no'), ARREARS_ACCOUNT, 'back on the same account, reloaded')
    assert.equal(stack.quote(ARREARS_ACCOUNT).bills.length, 0, 'the core agrees: no arrears left')
    takenFen += fen(total)
  })

  test('F5 on an account that owes nothing says so, and proposes no 0.00', async () => {
    await page.keyboard.press('F5')
    await page.getByTestId('payment-dialog').waitFor()
    assert.equal(await text(page, 'pay-nothing-owed'), '该户今日无欠费；收取的金额将全部存入预存余额')
    assert.equal(await page.getByTestId('pay-amount').inputValue(), '', 'no amount proposed')
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'pay-amount')
    await page.keyboard.press('Escape')
    await page.getByTestId('payment-dialog').waitFor({ state: 'detached' })
  })

  test('a differing count shows no amount anywhere; a recount, a reason and a supervisor close the shift with both counts on record', async () => {
    assert.ok(takenFen > 0n, 'needs the payments of the previous tests')
    const expected = yuan(50000n + takenFen)
    await page.keyboard.press('F12')
    const dialog = page.getByTestId('close-dialog')
    await dialog.waitFor()
    assert.equal(await page.getByTestId('close-expected').count(), 0, 'the count is blind')
    // Only the float is counted: the payments' cash is "missing".
    await page.keyboard.type('5')
    assert.equal(await amountText(page, 'counted-total'), '500.00', 'the running counted total')
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/call/close_shift'))
    await page.keyboard.press('Enter')
    const refusal = await (await answered).json()
    assert.deepEqual([refusal.code, refusal.params], ['COUNT_NEEDS_APPROVAL', {}], 'the refusal carries no amount')

    await page.getByTestId('close-needs-approval').waitFor()
    const shown = (await dialog.textContent()) ?? ''
    assert.ok(!shown.includes(expected), `the expected cash ${expected} is not shown: ${shown}`)
    assert.ok(!shown.includes(yuan(takenFen)), `nor the difference ${yuan(takenFen)}: ${shown}`)
    assert.ok(!/短款|长款|应有现金/.test(shown), `nor 短款/长款: ${shown}`)
    await page.screenshot({ path: artifactPath('close-needs-approval.png') })

    // The cashier counts again, this time every note and coin: it matches, and still needs approval.
    for (const [d, n] of piecesOf(50000n + takenFen)) await page.getByTestId(`count-${d}`).fill(n)
    assert.equal(await amountText(page, 'counted-total'), expected)
    await page.getByTestId('close-reason').fill('第一次只点了备用金，复点确认')
    await page.getByTestId('close-reason').press('Enter')
    const approval = page.getByTestId('approval-dialog')
    await approval.waitFor()
    assert.equal(await text(page, 'approval-action'), '交班清点', 'the approval names the action, no amount')
    await approve(page, DEMO.supervisor)

    await page.getByTestId('close-done').waitFor()
    assert.equal(await amountText(page, 'close-expected'), expected, 'expected = float + cash kept')
    assert.equal(await amountText(page, 'close-counted'), expected)
    assert.equal(await text(page, 'close-outcome-difference'), '账实相符')
    assert.ok(await text(page, 'close-approved-by'), 'the approver is named')
    const attempts = await page.getByTestId('close-attempt').allTextContents()
    assert.equal(attempts.length, 2, `both counts are on record: ${attempts}`)
    assert.ok(attempts[0].includes('500.00') && attempts[0].includes('不符'), `the first count stays: ${attempts[0]}`)
    assert.ok(attempts[1].includes(grouped(expected)) && attempts[1].includes('相符'), attempts[1])
    await page.screenshot({ path: artifactPath('close-done.png') })
    // The Enter rule: a new step (the outcome) ignores Enter for its first second.
    await page.locator('[data-testid="close-dialog"][data-guarded="false"]').waitFor()
    await page.keyboard.press('Enter')
    await page.getByTestId('shift-open').waitFor()
    assert.equal(await page.getByTestId('shift-info').count(), 0, 'no shift in the header any more')
  })
})

describe('holiday cash on Sunday 2026-03-01', () => {
  let stack
  let page
  let accountNo

  before(async () => {
    stack = await startStack({ now: '2026-03-01T10:00:00+08:00' })
    await needCollectionCommands(stack)
    page = await stack.page()
    // A prepaid commercial or industrial (bank-first) account of the demo data.
    const { token } = await stack.api('login', DEMO.cashier)
    for (const hit of await stack.api('search_accounts', { token, query: '示范市' })) {
      if (hit.billing_mode !== 'prepaid' || hit.closed) continue
      const view = await stack.api('account_view', { token, account_no: hit.account_no })
      if (['commercial', 'industrial'].includes(view.account.category)) {
        accountNo = hit.account_no
        break
      }
    }
    await stack.api('logout', { token })
    assert.ok(accountNo, 'the demo data has a prepaid commercial or industrial account')
  })
  after(async () => {
    await stack?.stop()
  })

  test('5000.01 is over the limit; 5000.00 is sold with a supervisor and is due at the bank on Monday', async () => {
    await login(page, DEMO.cashier)
    await openShift(page)
    await openAccount(page, accountNo)
    await page.getByTestId('key-F7').waitFor()
    assert.equal(await page.getByTestId('key-F5').count(), 0, 'no F5 payment for a prepaid account')

    await page.keyboard.press('F7')
    await page.getByTestId('payment-dialog').waitFor()
    await page.keyboard.type('5000.01')
    await page.keyboard.press('Enter')
    await page.keyboard.press('F4') // 实收 = the amount
    assert.equal(await page.getByTestId('pay-tendered').inputValue(), '5000.01')
    await page.keyboard.press('Enter')
    await page.getByTestId('payment-error').waitFor()
    assert.equal(await text(page, 'payment-error'), '节假日现金售电每笔不超过 5,000.00 元')
    assert.equal(await page.getByTestId('approval-dialog').count(), 0, 'no approval is asked for an amount over the limit')

    await page.getByTestId('pay-amount').fill('5000.00')
    await page.getByTestId('pay-amount').press('Enter')
    await page.keyboard.press('F4')
    await page.keyboard.press('Enter')
    await page.getByTestId('approval-dialog').waitFor()
    await page.screenshot({ path: artifactPath('approval.png') })
    await approve(page, DEMO.supervisor)

    await page.getByTestId('payment-result').waitFor()
    assert.match(await text(page, 'receipt-no'), RECEIPT_NO)
    assert.equal(await amountText(page, 'result-amount'), '5000.00')
    assert.match(await text(page, 'holiday-due'), /2026-03-02/, 'due at the bank the next working day')
    assert.ok(await text(page, 'approved-by'), 'the approver is named')
    await page.screenshot({ path: artifactPath('holiday-cash.png') })
    await finishResult(page)

    // The next log-in at this terminal is told about it.
    await page.getByTestId('logout').click()
    await login(page, DEMO.cashier)
    await page.getByTestId('notice').first().waitFor()
    const notice = (await page.getByTestId('notice').first().textContent()) ?? ''
    assert.ok(notice.includes('5,000.00') && notice.includes('2026-03-02'), `holiday cash notice: ${notice}`)
  })
})

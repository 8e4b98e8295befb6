// Taking money against the real core: open a shift, a cash payment from the look-up to the
// receipt, holiday cash on a Sunday with a supervisor's approval, and a shift closed with a
// difference. Keys are pressed as a cashier presses them.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ARREARS_ACCOUNT, DEMO, artifactPath, login, openAccount, startStack, text } from './harness.mjs'

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

describe('a cash payment and the shift around it', () => {
  let stack
  let page
  /** What the customer paid in test 1; test 2's count leaves it out of the drawer. */
  let paidTotal

  before(async () => {
    stack = await startStack()
    await needCollectionCommands(stack)
    page = await stack.page()
  })
  after(async () => {
    await stack?.stop()
  })

  test('cashier opens a shift, takes the arrears in cash with change, and the arrears are gone', async () => {
    await login(page, DEMO.cashier)
    await openShift(page)
    await openAccount(page, ARREARS_ACCOUNT)
    await page.getByTestId('total').waitFor()
    const total = await text(page, 'total')
    assert.equal(total, stack.quote(ARREARS_ACCOUNT).total, 'the counter shows the core quote')
    await page.getByTestId('key-F5').waitFor()

    await page.keyboard.press('F5')
    await page.getByTestId('payment-dialog').waitFor()
    assert.equal(await page.getByTestId('pay-amount').inputValue(), total, 'the amount proposed is the total')
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'pay-tendered')
    // The customer hands over the next full hundred above the total, plus 100.
    const tenderedFen = (fen(total) / 10000n + 2n) * 10000n
    const tendered = `${tenderedFen / 100n}`
    await page.keyboard.type(tendered)
    const change = yuan(tenderedFen - fen(total))
    assert.equal(await text(page, 'pay-change'), change, 'the change follows the typing')
    assert.match(await text(page, 'pay-words'), /^大写\s*人民币/, 'the 大写 of the amount is shown')
    await page.screenshot({ path: artifactPath('cash-dialog.png') })
    await page.keyboard.press('Enter')

    await page.getByTestId('payment-result').waitFor()
    assert.match(await text(page, 'receipt-no'), RECEIPT_NO)
    assert.equal(await text(page, 'result-amount'), total)
    assert.equal(await text(page, 'result-change'), change, "the core's change is the one previewed")
    assert.ok((await page.getByTestId('allocation-line').count()) >= 1, 'the allocation is listed')
    assert.ok(await text(page, 'verification-code'), 'the 校验码 is shown')
    // No printer is set at this counter: the receipt is not printed, and the payment stands.
    await page.locator('[data-testid="print-status"][data-state="failed"]').waitFor()
    assert.match(await text(page, 'print-error'), /未设置打印机：请值班长在设置中选择打印机/)
    assert.match(await text(page, 'payment-kept'), /已入账/)
    await page.screenshot({ path: artifactPath('payment.png') })

    await page.keyboard.press('Enter')
    await page.getByTestId('no-arrears').waitFor()
    assert.equal(await text(page, 'account-no'), ARREARS_ACCOUNT, 'back on the same account, reloaded')
    assert.equal(stack.quote(ARREARS_ACCOUNT).bills.length, 0, 'the core agrees: no arrears left')
    paidTotal = total
  })

  test('closing with a wrong count shows the 短款, takes a reason and an approval, and closes the shift', async () => {
    assert.ok(paidTotal, 'needs the payment of the previous test')
    await page.keyboard.press('F12')
    await page.getByTestId('close-dialog').waitFor()
    assert.equal(await page.getByTestId('close-expected').count(), 0, 'the count is blind')
    // Only the float is counted: the payment's cash is "missing".
    await page.keyboard.type('5')
    assert.equal(await text(page, 'counted-total'), '500.00', 'the running counted total')
    await page.keyboard.press('Enter')

    await page.getByTestId('close-difference').waitFor()
    const shown = await text(page, 'close-difference')
    assert.ok(shown.includes('短款') && shown.includes(paidTotal), `the difference is a 短款 of ${paidTotal}: ${shown}`)
    await page.keyboard.type('点钞时少点一捆，复点确认')
    await page.screenshot({ path: artifactPath('close-difference.png') })
    await page.keyboard.press('Enter')
    await approve(page, DEMO.supervisor)

    await page.getByTestId('close-done').waitFor()
    assert.equal(await text(page, 'close-expected'), yuan(50000n + fen(paidTotal)), 'expected = float + cash kept')
    assert.equal(await text(page, 'close-counted'), '500.00')
    assert.equal(await text(page, 'close-outcome-difference'), `短款 ${paidTotal}`)
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
    await page.keyboard.press('Enter')
    await page.getByTestId('payment-error').waitFor()
    assert.equal(await text(page, 'payment-error'), '节假日现金售电每笔不超过 5000.00 元')
    assert.equal(await page.getByTestId('approval-dialog').count(), 0, 'no approval is asked for an amount over the limit')

    await page.getByTestId('pay-amount').fill('5000.00')
    await page.getByTestId('pay-amount').press('Enter')
    await page.keyboard.press('Enter')
    await page.getByTestId('approval-dialog').waitFor()
    await page.screenshot({ path: artifactPath('approval.png') })
    await approve(page, DEMO.supervisor)

    await page.getByTestId('payment-result').waitFor()
    assert.match(await text(page, 'receipt-no'), RECEIPT_NO)
    assert.equal(await text(page, 'result-amount'), '5000.00')
    assert.match(await text(page, 'holiday-due'), /2026-03-02/, 'due at the bank the next working day')
    assert.ok(await text(page, 'approved-by'), 'the approver is named')
    await page.screenshot({ path: artifactPath('holiday-cash.png') })
    await page.keyboard.press('Enter')

    // The next log-in at this terminal is told about it.
    await page.getByTestId('logout').click()
    await login(page, DEMO.cashier)
    await page.getByTestId('notice').first().waitFor()
    const notice = (await page.getByTestId('notice').first().textContent()) ?? ''
    assert.ok(notice.includes('5000.00') && notice.includes('2026-03-02'), `holiday cash notice: ${notice}`)
  })
})

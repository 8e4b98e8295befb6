// The counter screen against the real core: look-up by 户号 and by name, totals as the core
// computes them, the 大写, and a screenshot of the screen a cashier sees.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { ARREARS_ACCOUNT, DEMO, artifactPath, login, startStack, amountText } from './harness.mjs'

let stack
let page
/** The name test 1 saw on the account card; test 2 searches by part of it. */
let accountName

before(async () => {
  stack = await startStack()
  page = await stack.page()
})
after(async () => {
  await stack?.stop()
})

test('cashier finds the arrears account by 户号 and sees the total the core quotes', async () => {
  await login(page, DEMO.cashier)
  await page.getByText('按 F2 查找用户').waitFor()

  await page.keyboard.press('F2')
  const input = page.getByTestId('search-input')
  await input.waitFor()
  await input.fill(ARREARS_ACCOUNT)
  await input.press('Enter')

  await page.getByTestId('account-no').waitFor()
  assert.equal((await page.getByTestId('account-no').textContent())?.trim(), ARREARS_ACCOUNT)
  accountName = (await page.getByTestId('account-name').textContent())?.trim()
  assert.ok(accountName, 'the account card shows the 户名')

  const quote = stack.quote(ARREARS_ACCOUNT)
  await page.getByTestId('total').or(page.getByTestId('no-arrears')).waitFor()
  assert.ok(
    quote.bills.length > 0 && (await page.getByTestId('no-arrears').count()) === 0,
    `demo account ${ARREARS_ACCOUNT} should be in arrears; the core quotes ${JSON.stringify(quote)}`,
  )
  assert.equal(
    await amountText(page, 'total'),
    quote.total,
    'the screen shows exactly the total the core quotes for today',
  )
  const words = (await page.getByTestId('total-words').textContent())?.trim() ?? ''
  assert.ok(words.startsWith('人民币') && words.length > 3, `大写 should start with 人民币, got ${JSON.stringify(words)}`)
  assert.equal(
    await page.getByTestId('bills-row').count(),
    quote.bills.length,
    'one table row per unpaid bill in the quote',
  )

  await page.screenshot({ path: artifactPath('counter.png') })
})

test('search by part of the name lists hits; ↓ then Enter opens an account', async () => {
  assert.ok(accountName, 'needs the name seen in the previous test')
  await page.keyboard.press('Escape') // clear the account on the counter
  await page.getByText('按 F2 查找用户').waitFor()

  await page.keyboard.press('F2')
  const input = page.getByTestId('search-input')
  await input.waitFor()
  const part = [...accountName].slice(0, 2).join('')
  await input.fill(part)
  await page.getByTestId('search-hit').first().waitFor()
  const hits = page.getByTestId('search-hit')
  const n = await hits.count()
  assert.ok(n >= 1, `searching ${part} lists at least the account itself`)
  // Every hit matches the typed part somewhere (户名, 用电地址 or 表号).
  const texts = await hits.allTextContents()
  for (const t of texts) assert.ok(t.includes(part), `hit ${t} matches ${part}`)

  await input.press('ArrowDown')
  const chosen = n > 1 ? 1 : 0
  const expected = (await hits.nth(chosen).locator('td').first().textContent())?.trim()
  assert.equal(await hits.nth(chosen).getAttribute('aria-selected'), 'true', '↓ moved the highlight')
  await input.press('Enter')

  await page.getByTestId('account-no').waitFor()
  assert.equal((await page.getByTestId('account-no').textContent())?.trim(), expected, 'Enter opened the highlighted account')
  assert.equal(await page.getByTestId('search-input').count(), 0, 'the search dialog closed')
})

// The log-in screen against the real core: wrong passwords and the lock-out after 5 failures.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { DEMO, attemptLogin, startStack } from './harness.mjs'

const AUTH_INVALID = '用户名或密码错误；连续 5 次错误将锁定 15 分钟'
const AUTH_LOCKED = /^账户已锁定，请于 \d{2}:\d{2} 后再试或联系管理员$/

let stack
before(async () => {
  stack = await startStack()
})
after(async () => {
  await stack?.stop()
})

async function errorText(page) {
  const el = page.getByTestId('login-error')
  await el.waitFor()
  return (await el.textContent())?.trim()
}

test('the log-in screen names the utility and terminal, and focuses 用户名', async () => {
  const page = await stack.page()
  await page.getByTestId('terminal').waitFor()
  assert.ok((await page.getByTestId('terminal').textContent())?.trim(), 'terminal code shown')
  assert.ok((await page.getByTestId('utility').textContent())?.trim(), 'utility name shown')
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'login-username')
  await page.close()
})

test('a wrong password shows AUTH_INVALID', async () => {
  const page = await stack.page()
  await attemptLogin(page, DEMO.cashier.username, 'not-the-password')
  assert.equal(await errorText(page), AUTH_INVALID)
  assert.equal(await page.getByTestId('logout').count(), 0, 'still on the log-in screen')
  await page.close()
})

test('5 wrong passwords lock the user; the right one is then refused as locked', async () => {
  stack.ctl(['user', 'add', 'locktest', '--role', 'cashier'], 'Locktest#2026\n')
  const page = await stack.page()
  for (let attempt = 1; attempt <= 4; attempt++) {
    await attemptLogin(page, 'locktest', `wrong-${attempt}`)
    assert.equal(await errorText(page), AUTH_INVALID, `attempt ${attempt} is a plain failure`)
  }
  await attemptLogin(page, 'locktest', 'wrong-5')
  assert.match(await errorText(page), AUTH_LOCKED, 'the 5th failure locks the user')

  await attemptLogin(page, 'locktest', 'Locktest#2026')
  assert.match(await errorText(page), AUTH_LOCKED, 'the right password is refused while locked')
  assert.equal(await page.getByTestId('logout').count(), 0, 'still on the log-in screen')
  await page.close()
})

test('English is one click away and stays chosen after a reload', async () => {
  const page = await stack.page()
  await page.getByText('English', { exact: true }).click()
  await page.getByTestId('login-submit').getByText('Log in').waitFor()
  await page.reload()
  await page.getByTestId('login-submit').getByText('Log in').waitFor()
  await attemptLogin(page, DEMO.cashier.username, 'not-the-password')
  assert.match(await errorText(page), /^Wrong user name or password/)
  await page.getByText('中文', { exact: true }).click()
  await page.getByTestId('login-submit').getByText('登录').waitFor()
  await page.close()
})

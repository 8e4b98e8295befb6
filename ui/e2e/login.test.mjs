// The log-in screen against the real core: wrong passwords and the lock-out after 5 failures,
// which the log-in does not tell apart from a wrong password (AUTH_INVALID throughout), and an
// administrator unlocking the user in Settings → 用户.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { DEMO, artifactPath, attemptLogin, login, startStack, text } from './harness.mjs'

const AUTH_INVALID = '用户名或密码错误；连续输错5次将锁定15分钟，可请管理员解锁'
/** A password the core's policy accepts for `locktest` (it may not contain the user name). */
const LOCKTEST_PASSWORD = 'Counter#20261'

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

test('5 wrong passwords lock the user; the right one is then refused, in the same words', async () => {
  stack.ctlAs(DEMO.admin, ['user', 'add', 'locktest', '--role', 'cashier'], `${LOCKTEST_PASSWORD}\n`)
  const page = await stack.page()
  for (let attempt = 1; attempt <= 5; attempt++) {
    await attemptLogin(page, 'locktest', `wrong-${attempt}`)
    assert.equal(await errorText(page), AUTH_INVALID, `attempt ${attempt} is a plain failure`)
  }
  // Locked now; the log-in does not say so (nor whether the name exists).
  await attemptLogin(page, 'locktest', LOCKTEST_PASSWORD)
  assert.equal(await errorText(page), AUTH_INVALID, 'the right password is refused while locked')
  await attemptLogin(page, 'nobody-here', 'whatever-1')
  assert.equal(await errorText(page), AUTH_INVALID, 'an unknown name reads the same')
  assert.equal(await page.getByTestId('logout').count(), 0, 'still on the log-in screen')
  await page.close()
})

test('an administrator unlocks the user in Settings → 用户; the user then logs in', async () => {
  const page = await stack.page()
  await login(page, DEMO.admin)
  await page.keyboard.press('F11')
  await page.getByTestId('settings-dialog').waitFor()
  const row = page.locator('[data-testid="user-row"][data-username="locktest"]')
  await row.waitFor()
  assert.match((await row.getByTestId('user-state').textContent()) ?? '', /^锁定至 \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/)
  await page.getByTestId('user-settings').screenshot({ path: artifactPath('settings-users.png') })
  await page.getByTestId('user-unlock-locktest').click()
  await page.getByTestId('users-done').waitFor()
  assert.equal(await text(page, 'users-done'), '已解锁 locktest')
  assert.equal((await row.getByTestId('user-state').textContent())?.trim(), '正常', 'the list was read again')
  await page.keyboard.press('Escape')
  await page.getByTestId('settings-dialog').waitFor({ state: 'detached' })
  await page.getByTestId('logout').click()

  await login(page, { username: 'locktest', password: LOCKTEST_PASSWORD })
  assert.equal(await text(page, 'user'), 'locktest')
  await page.close()
})

test('an administrator adds a user in Settings: the password twice, the policy in words', async () => {
  const page = await stack.page()
  await login(page, DEMO.admin)
  await page.keyboard.press('F11')
  await page.getByTestId('user-add-form').waitFor()
  await page.getByTestId('user-add-username').fill('cashier7')
  await page.getByTestId('user-add-display-name').fill('周七')
  await page.getByTestId('user-add-password').fill('Cashier7-pass')
  await page.getByTestId('user-add-again').fill('Cashier7-pass')
  await page.getByTestId('user-add-again').press('Enter')
  await page.getByTestId('users-error').waitFor()
  assert.match(await text(page, 'users-error'), /不能包含用户名/, 'the core refused a password containing the name, in Chinese')

  await page.getByTestId('user-add-password').fill('Till#drawer7')
  await page.getByTestId('user-add-again').fill('Till#drawer8')
  await page.getByTestId('user-add-again').press('Enter')
  assert.equal(await text(page, 'users-invalid'), '两次输入的密码不一致', 'checked before sending')

  await page.getByTestId('user-add-password').fill('Till#drawer7')
  await page.getByTestId('user-add-again').fill('Till#drawer7')
  await page.getByTestId('user-add-again').press('Enter')
  await page.getByTestId('users-done').waitFor()
  assert.equal(await text(page, 'users-done'), '已添加用户 cashier7')
  await page.locator('[data-testid="user-row"][data-username="cashier7"]').waitFor()
  const listed = JSON.parse(stack.ctlAs(DEMO.admin, ['--json', 'user', 'list']))
  assert.ok(listed.some((u) => u.username === 'cashier7' && u.role === 'cashier'), JSON.stringify(listed))
  await page.keyboard.press('Escape')
  await page.getByTestId('logout').click()
  await login(page, { username: 'cashier7', password: 'Till#drawer7' })
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

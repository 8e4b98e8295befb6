// 锁屏 against the real core: an administrator sets the counter's idle time to 1 minute in
// Settings → 柜台; a cashier's counter then locks after a minute without a key, a click or a mouse
// movement. Only her own password unlocks it (a wrong one is refused, AUTH_INVALID), and what she
// was typing is still there; logging out from the lock screen lets someone else log in, and her
// shift stays open in the core.
//
// Time: the cashier's tab runs on Playwright's fake clock (`page({ clock: true })`, installed
// before the UI loads; time flows as usual until the test moves it on with `clock.fastForward`).
// The UI has no test hook and nothing here waits a real minute; the core's own clock is real.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ARREARS_ACCOUNT, DEMO, artifactPath, login, openAccount, startStack, text } from './harness.mjs'

describe('the screen locks after the idle time', () => {
  let stack
  let page

  before(async () => {
    stack = await startStack()
  })
  after(async () => {
    await stack?.stop()
  })

  test('an administrator sets the idle lock to 1 minute in Settings → 柜台', async () => {
    const admin = await stack.page()
    await login(admin, DEMO.admin)
    await admin.keyboard.press('F11')
    const minutes = admin.getByTestId('counter-idle-lock')
    await minutes.and(admin.locator(':enabled')).waitFor()
    assert.equal(await minutes.inputValue(), '10', 'the default')
    await minutes.fill('1')
    await minutes.press('Enter')
    await admin.getByTestId('counter-saved').waitFor()
    await admin.getByTestId('counter-settings').screenshot({ path: artifactPath('settings-counter.png') })
    assert.equal(JSON.parse(stack.ctlAs(DEMO.admin, ['--json', 'config', 'show'])).idle_lock_minutes, 1)
    await admin.keyboard.press('Escape')
    await admin.getByTestId('logout').click()
    await admin.close()
  })

  test('a minute without a key locks the counter; a wrong password is refused; hers unlocks it as it was', async () => {
    page = await stack.page({ clock: true })
    await login(page, DEMO.cashier)
    await page.getByTestId('shift-open').waitFor()
    await page.keyboard.press('Enter') // 开班
    await page.getByTestId('shift-info').waitFor()
    await openAccount(page, ARREARS_ACCOUNT)
    await page.keyboard.press('F5')
    await page.getByTestId('payment-dialog').waitFor()
    await page.keyboard.type('13000')

    await page.clock.fastForward('00:50')
    assert.equal(await page.getByTestId('lock-screen').count(), 0, 'not yet: 50 s')
    await page.keyboard.type('0') // activity: the minute starts again
    await page.clock.fastForward('00:50')
    assert.equal(await page.getByTestId('lock-screen').count(), 0, 'not yet: 50 s since the last key')

    const locked = page.waitForResponse((r) => r.url().endsWith('/api/call/lock_session'))
    await page.clock.fastForward('00:11')
    const lock = page.getByTestId('lock-screen')
    await lock.waitFor()
    assert.equal((await locked).status(), 200, 'the session is locked in the core too')
    assert.equal(await text(page, 'lock-user'), '张丽（cashier1）', 'it names who locked it')
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'lock-password')
    assert.equal(await page.locator('.counter[inert]').count(), 1, 'the counter behind takes no key or click')
    await page.screenshot({ path: artifactPath('lock-screen.png') })

    // Keys do nothing behind it: F2 opens no search, Esc closes no dialog.
    await page.keyboard.press('F2')
    await page.keyboard.press('Escape')
    assert.equal(await page.getByTestId('search-input').count(), 0)
    assert.equal(await page.getByTestId('payment-dialog').count(), 1)

    const refused = page.waitForResponse((r) => r.url().endsWith('/api/call/unlock_session'))
    await page.keyboard.type('not-her-password')
    await page.keyboard.press('Enter')
    assert.equal((await (await refused).json()).code, 'AUTH_INVALID')
    await page.getByTestId('lock-error').waitFor()
    assert.equal(await text(page, 'lock-error'), '用户名或密码错误；连续输错5次将锁定15分钟，可请管理员解锁')
    assert.equal(await lock.count(), 1)

    await page.keyboard.type(DEMO.cashier.password)
    await page.keyboard.press('Enter')
    await lock.waitFor({ state: 'detached' })
    assert.equal(await page.getByTestId('pay-tendered').inputValue(), '130000', 'what she was typing is still there')
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'pay-tendered')
    await page.keyboard.press('Escape')
    await page.getByTestId('payment-dialog').waitFor({ state: 'detached' })
  })

  test('退出登录 from the lock screen lets someone else log in; her shift stays open', async () => {
    await page.clock.fastForward('01:01')
    await page.getByTestId('lock-screen').waitFor()
    await page.keyboard.press('Alt+q')
    await page.getByTestId('login-username').waitFor()
    assert.equal(await page.getByTestId('lock-screen').count(), 0)

    // Someone else at the counter: the supervisor. The terminal's shift is still the cashier's.
    await login(page, DEMO.supervisor)
    // A supervisor's first screen is the counter; F12 开班, a float typed (none is proposed).
    await page.getByTestId('key-open-shift').waitFor()
    await page.keyboard.press('F12')
    await page.getByTestId('shift-open').waitFor()
    await page.keyboard.type('500.00')
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/call/open_shift'))
    await page.keyboard.press('Enter')
    assert.equal((await (await answered).json()).code, 'SHIFT_ALREADY_OPEN', "the cashier's shift is still open")
    await page.getByTestId('logout').click()

    await login(page, DEMO.cashier)
    await page.getByTestId('shift-info').waitFor()
    assert.match(await text(page, 'shift-info'), /500\.00/, 'her shift, as she left it')
  })
})

// Sync with the central ledger as the counter shows it, against the real core: the demo counter
// is not enrolled, so the status bar says 未接入账务中心 (sync is off until an administrator
// enrols the terminal); only an administrator is offered the enrol form in Settings, and an
// enrolment against a ledger that cannot be reached is refused with the core's SYNC_OFFLINE, in
// Chinese, leaving the counter as it was. (A successful enrolment, with a real ledger and a real OS
// keyring, and sync offline and back: ledger.test.mjs.)
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { DEMO, artifactPath, login, startStack, text } from './harness.mjs'

/** A loopback URL where nothing listens: a port bound and released again. */
async function deadLedgerUrl() {
  const server = createServer()
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address()
  await new Promise((r) => server.close(r))
  return `http://127.0.0.1:${port}`
}

describe('sync status and terminal enrolment', () => {
  let stack
  let page

  before(async () => {
    stack = await startStack()
    page = await stack.page()
  })
  after(async () => {
    await stack?.stop()
  })

  test('a cashier sees 未接入账务中心 in the status bar, and no enrol form', async () => {
    await login(page, DEMO.cashier)
    const bar = page.getByTestId('sync-status')
    await page.locator('[data-testid="sync-status"][data-tone="off"]').waitFor()
    assert.equal(await text(page, 'sync-text'), '未接入账务中心')
    assert.equal(await page.getByTestId('sync-now').count(), 0, 'nothing to sync with')
    await page.getByTestId('sync-state').click()
    assert.match(await text(page, 'sync-not-enrolled-hint'), /系统管理员在设置（F11）中/)
    assert.ok(await bar.isVisible())

    await page.getByTestId('sync-state').press('Escape')
    await page.keyboard.press('F11')
    await page.getByTestId('settings-dialog').waitFor()
    await page.getByTestId('ledger-state').waitFor()
    assert.equal(await text(page, 'ledger-state'), '未接入账务中心（同步未开启）')
    assert.equal(await text(page, 'ledger-admin-only'), '只有系统管理员可以注册终端')
    assert.equal(await page.getByTestId('ledger-code').count(), 0)
    await page.keyboard.press('Escape')
    await page.getByTestId('settings-dialog').waitFor({ state: 'detached' })
    await page.getByTestId('logout').click()
  })

  test('the core refuses an enrolment by anyone but an administrator', async () => {
    const { token } = await stack.api('login', DEMO.supervisor)
    await assert.rejects(
      stack.api('sync_enrol', { token, url: 'http://127.0.0.1:9', code: 'ANY-CODE' }),
      (e) => e.body?.code === 'FORBIDDEN',
    )
    const status = await stack.api('sync_status', { token })
    assert.equal(status.enrolled, false)
    assert.equal(status.ledger_url, null, 'nothing was stored')
    await stack.api('logout', { token })
  })

  test('an administrator enrols against a ledger that cannot be reached: SYNC_OFFLINE in Chinese, nothing changes', async () => {
    await login(page, DEMO.admin)
    await page.keyboard.press('F11')
    await page.getByTestId('settings-dialog').waitFor()
    const url = page.getByTestId('ledger-url')
    await url.waitFor()
    await url.fill('ledger.example.cn')
    await page.getByTestId('ledger-code').fill('K7Q2-M9XD')
    await page.getByTestId('ledger-code').press('Enter')
    assert.match(await text(page, 'ledger-invalid'), /以 http:\/\/ 或 https:\/\/ 开头/, 'checked before sending')

    await url.fill(await deadLedgerUrl())
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/call/sync_enrol'))
    await page.getByTestId('ledger-code').press('Enter')
    const response = await answered
    assert.equal((await response.json()).code, 'SYNC_OFFLINE')
    await page.getByTestId('ledger-error').waitFor()
    assert.match(await text(page, 'ledger-error'), /^无法连接账务中心/)
    assert.equal(await page.getByTestId('ledger-enrolled').count(), 0)
    assert.equal(await page.getByTestId('ledger-code').inputValue(), 'K7Q2-M9XD', 'kept for another try')
    await page.screenshot({ path: artifactPath('settings-ledger.png') })
    await page.keyboard.press('Escape')
    await page.getByTestId('settings-dialog').waitFor({ state: 'detached' })

    assert.equal(await text(page, 'sync-text'), '未接入账务中心', 'still not enrolled')
    const { token } = await stack.api('login', DEMO.finance)
    const status = await stack.api('sync_status', { token })
    assert.equal(status.enrolled, false)
    assert.equal(status.ledger_url, null, 'a failed enrolment stores no URL')
    await stack.api('logout', { token })
    await page.screenshot({ path: artifactPath('sync-status.png') })
  })
})

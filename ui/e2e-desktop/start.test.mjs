// Starting the app as it ships. One window per counter: a second start (收费台 double-clicked while
// the counter is open) brings the open window forward and exits; the app runs in its own D-Bus
// session (the desktop session a counter PC has), where the first start holds the app's name. And a
// counter whose database cannot be opened still opens its window, which says why in Chinese and
// whom to call, and leaves the database file as it found it.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { APP, DEMO, appWindows, login, shot, startDesktop, startDisplay } from './harness.mjs'

describe('a second start of the app', () => {
  let screen
  let app
  let s
  before(async () => {
    screen = await startDisplay()
    app = await startDesktop({ display: screen.display, keyring: true })
    s = app.s
    await s.waitFor('login-username', { state: 'visible' })
  })
  after(async () => {
    await app?.stop()
    await screen?.stop()
  })

  test('brings the open window forward and exits; the counter keeps its one window and its session', async () => {
    await login(s, DEMO.cashier)
    assert.equal(appWindows(screen.display).length, 1, 'one window before')
    // The same desktop session (its D-Bus), the same database, as a double click would start it.
    const env = { ...app.env, DBUS_SESSION_BUS_ADDRESS: app.bus() }
    const second = spawn(APP, ['--db', app.db, '--demo'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    second.stdout.on('data', (d) => (out += d))
    second.stderr.on('data', (d) => (out += d))
    const code = await new Promise((res, rej) => {
      const timer = setTimeout(() => {
        second.kill('SIGKILL')
        rej(new Error(`the second start did not exit within 30 s (it opened a second window?): ${out}`))
      }, 30_000)
      second.once('exit', (c) => {
        clearTimeout(timer)
        res(c)
      })
    })
    assert.equal(code, 0, `the second start hands over and exits cleanly: ${out}`)
    assert.equal(appWindows(screen.display).length, 1, 'still one window')
    // The open app took the second start (its log says so): not a second process that merely failed.
    assert.ok(app.log().includes('a second start: the open window is brought forward'), "the open app's log has the hand-over")
    // The open counter is untouched: the cashier is still logged in, and it answers.
    await s.waitFor('logout', { state: 'visible' })
    assert.equal((await s.api('app_info', {})).terminal, 'DEMO-01')
  })
})

describe('a counter whose database cannot be opened', () => {
  const GARBAGE = 'not a database: a file copied over the counter\'s by mistake\n'
  let screen
  let app
  let root
  before(async () => {
    screen = await startDisplay()
    root = mkdtempSync(join(tmpdir(), 'cashdesk-desktop-'))
    writeFileSync(join(root, 'cashdesk.sqlite'), GARBAGE)
    app = await startDesktop({ display: screen.display, root })
  })
  after(async () => {
    await app?.stop()
    await screen?.stop()
    if (root) rmSync(root, { recursive: true, force: true })
  })

  test('opens its window, says in Chinese that no money can be taken and whom to call, and changes nothing', async () => {
    const s = app.s
    await s.waitFor('info-error', { state: 'visible' })
    const said = await s.text('info-error')
    assert.match(said, /^收费台无法打开本机数据库，现在不能收费：请联系系统管理员（原因已记入日志 .+cashdesk\/logs）$/, said)
    assert.doesNotMatch(said, /not a database|sqlite|sqlx/i, `storage details stay in the log: ${said}`)
    await shot(s, '22-database-unusable')
    // A log-in is answered with the same, and nothing is written over the file.
    await s.fill('login-username', DEMO.cashier.username)
    await s.fill('login-password', DEMO.cashier.password)
    await s.keys('Enter')
    await s.waitFor('login-error', { state: 'visible' })
    assert.equal(await s.text('login-error'), said)
    assert.equal(readFileSync(join(root, 'cashdesk.sqlite'), 'utf8'), GARBAGE, 'the database file is as it was')
    assert.match(app.log(), /the counter database could not be opened/, 'the cause is in the log')
  })
})

// Offline, then sync, in the app as it ships: a real central ledger (`cashdesk-ledger serve` on a
// throwaway PostgreSQL with the demo province), the app's token in a real OS keyring (the Secret
// Service of gnome-keyring-daemon in the app's own D-Bus session), and between them a TCP proxy
// that stands for the network cable. An administrator enrols the terminal in Settings; a cashier
// takes a payment (pushed by the background sync), the cable is pulled, she takes another (the
// status bar says 离线，N 笔待上传), the cable goes back and 立即同步 drains the queue (已同步); the
// ledger's totals then equal what the counter took, to the fen.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createConnection, createServer } from 'node:net'
import { startLedger } from '../e2e/harness.mjs'
import { ARREARS_ACCOUNT, DEMO, fen, finishResult, login, openAccount, openShift, shot, startDesktop, startDisplay } from './harness.mjs'

const TERMINAL = 'DEMO-01'

/** The network cable: a loopback TCP proxy to `target` that can be unplugged (resets) and plugged. */
async function cable(target) {
  const [host, port] = [target.split(':')[0], Number(target.split(':')[1])]
  let plugged = true
  const open = new Set()
  const server = createServer((client) => {
    if (!plugged) {
      client.resetAndDestroy()
      return
    }
    const upstream = createConnection({ host, port })
    open.add(client)
    open.add(upstream)
    const close = () => {
      client.destroy()
      upstream.destroy()
      open.delete(client)
      open.delete(upstream)
    }
    client.on('error', close).on('close', close)
    upstream.on('error', close).on('close', close)
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    unplug() {
      plugged = false
      for (const sock of open) sock.resetAndDestroy()
      open.clear()
    },
    plug() {
      plugged = true
    },
    async close() {
      this.unplug()
      await new Promise((r) => server.close(r))
    },
  }
}

/** The ledger's count and sum (in fen) of DEMO-01's payments. */
function ledgerPayments(ledger) {
  const row = ledger.json(['totals', '--terminal', TERMINAL]).find((t) => t.kind === 'payment')
  return row ? { count: row.count, sum: fen(String(row.sum)) } : { count: 0, sum: 0n }
}

async function eventually(what, cond, ms = 30_000) {
  const until = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`)
    await new Promise((r) => setTimeout(r, 200)) // poll interval
  }
}

/** A cash payment on the open account: F5, `amount` (or the total proposed), Enter, F4, Enter. */
async function payCash(s, amount) {
  await s.waitFor('key-F5')
  await s.keys('F5')
  await s.waitFor('payment-dialog')
  if (amount !== null) {
    await s.fill('pay-amount', amount)
    await s.keys('Enter')
  }
  await s.until('实收 has the focus', "return document.activeElement?.getAttribute('data-testid') === 'pay-tendered'")
  await s.keys('F4', 'Enter')
  await s.waitFor('payment-result')
  const booked = await s.text('result-amount')
  await finishResult(s)
  await s.waitFor('account-no')
  return booked
}

describe('a counter syncing with the central ledger, offline and back', () => {
  let screen
  let ledger
  let wire
  let app
  let s
  const taken = []

  before(async () => {
    screen = await startDisplay()
    ledger = await startLedger()
    wire = await cable(new URL(ledger.url).host)
    app = await startDesktop({ display: screen.display, keyring: true })
    s = app.s
  })
  after(async () => {
    await app?.stop().catch((e) => console.error('stopping the app:', e))
    await wire?.close().catch((e) => console.error('closing the proxy:', e))
    await ledger?.stop().catch((e) => console.error('stopping the ledger:', e))
    await screen?.stop()
  })

  test('an administrator enrols the terminal in Settings (F11) with the ledger URL and a one-time code', async () => {
    const code = ledger.enrol(TERMINAL)
    await login(s, DEMO.admin)
    await s.keys('F11')
    await s.waitFor('settings-dialog')
    await s.waitFor('ledger-url')
    await s.fill('ledger-url', wire.url)
    await s.fill('ledger-code', code)
    await s.keys('Enter')
    await s.waitFor('ledger-enrolled', { timeout: 30_000 })
    assert.ok((await s.text('ledger-state')).includes(wire.url), 'the state names the ledger')
    await shot(s, '11-ledger-enrolled')
    await s.keys('Escape')
    await s.waitFor('settings-dialog', { state: 'detached' })
    await s.click('logout')
  })

  test('online: a cash payment reaches the ledger through the background sync; 已同步', async () => {
    await login(s, DEMO.cashier)
    await openShift(s)
    await openAccount(s, ARREARS_ACCOUNT)
    await s.waitFor('total')
    taken.push(await payCash(s, '1000.00'))
    await eventually('the ledger has the payment', () => {
      const got = ledgerPayments(ledger)
      return got.count === 1 && got.sum === fen(taken[0])
    })
    await s.waitFor('[data-testid="sync-status"][data-tone="ok"]', { timeout: 30_000 })
    assert.match(await s.text('sync-text'), /^已同步 \d{2}:\d{2}$/)
    await shot(s, '12-synced')
  })

  test('cable pulled: the cashier keeps working; the status bar says 离线，N 笔待上传', async () => {
    wire.unplug()
    taken.push(await payCash(s, null))
    await s.waitFor('no-arrears')
    await s.waitFor('[data-testid="sync-status"][data-tone="offline"]', { timeout: 45_000 })
    const shown = await s.text('sync-text')
    const m = /^离线，(\d+) 笔待上传$/.exec(shown)
    assert.ok(m && Number(m[1]) >= 1, `the status bar says 离线，N 笔待上传: ${shown}`)
    await shot(s, '13-offline')
    assert.deepEqual(ledgerPayments(ledger), { count: 1, sum: fen(taken[0]) }, 'nothing reached the ledger meanwhile')
  })

  test('cable back: 立即同步 drains the queue; 已同步; the ledger agrees with the counter to the fen', async () => {
    wire.plug()
    await s.click('sync-now')
    await s.waitFor('[data-testid="sync-status"][data-tone="ok"]', { timeout: 45_000 })
    assert.match(await s.text('sync-text'), /^已同步 \d{2}:\d{2}$/)
    await shot(s, '14-back-online')
    const counterSum = taken.reduce((a, t) => a + fen(t), 0n)
    assert.deepEqual(ledgerPayments(ledger), { count: taken.length, sum: counterSum })
    const account = ledger.json(['account', 'show', ARREARS_ACCOUNT])
    for (const b of account.bills) assert.equal(fen(String(b.outstanding)), 0n, `the ledger: bill ${b.period} settled`)
    const { token } = await s.api('login', DEMO.finance)
    const status = await s.api('sync_status', { token })
    await s.api('logout', { token })
    assert.equal(status.waiting, 0, `the counter has nothing waiting: ${JSON.stringify(status)}`)
    assert.equal(status.last_error, null)
  })
})

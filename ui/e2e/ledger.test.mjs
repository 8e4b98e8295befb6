// The counter and the central ledger (账务中心), with real parts only: `cashdesk-ledger serve` on a
// throwaway PostgreSQL with the demo province, the bridge's token in a real OS keyring (the Secret
// Service of gnome-keyring-daemon in a private D-Bus session), and between them a TCP proxy that
// stands for the network cable. An administrator enrols the terminal in Settings; a cashier takes
// a payment (pushed by the background sync), the cable is pulled, she takes another (the status bar
// says 离线，N 笔待上传 and the ledger has not seen it), the cable goes back and 立即同步 drains the
// queue (已同步). Then the ledger's totals for DEMO-01 equal what the counter took, to the fen, the
// ledger's account has no arrears left, no conflict is listed, and the counter has nothing waiting.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createConnection, createServer } from 'node:net'
import { ARREARS_ACCOUNT, DEMO, artifactPath, finishResult, login, openAccount, startLedger, startStack, text, amountText } from './harness.mjs'

const TERMINAL = 'DEMO-01'
const RECEIPT_NO = /^DEMO-01-\d{4}-\d{6}$/

/** "1680.32" → 168032n: the test's own exact arithmetic, independent of the UI's and the ledger's. */
function fen(s) {
  const neg = s.startsWith('-')
  const [i, f = ''] = (neg ? s.slice(1) : s).split('.')
  const v = BigInt(i) * 100n + BigInt((f + '00').slice(0, 2))
  return neg ? -v : v
}

/**
 * The network cable: a loopback TCP proxy to `target` (host:port). Unplugged, it cuts every open
 * connection and resets every new one at once (the counter's client sees a transport error, as
 * when the hall's link is down); plugged back, it forwards again. Same port throughout.
 */
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
      for (const s of open) s.resetAndDestroy()
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

async function openShift(page) {
  await page.getByTestId('shift-open').waitFor()
  await page.getByTestId('shift-float').waitFor()
  await page.keyboard.press('Enter')
  await page.getByTestId('shift-info').waitFor()
}

/**
 * A cash payment on the open account, as a cashier keys it: F5, the amount (`amount`, or the
 * proposed total when null), Enter, the cash handed over (the next full hundred, or F4 for the
 * exact amount), Enter. Returns the amount the core booked, from the result screen.
 */
async function payCash(page, amount, { exact = false } = {}) {
  await page.getByTestId('key-F5').waitFor()
  await page.keyboard.press('F5')
  await page.getByTestId('payment-dialog').waitFor()
  if (amount !== null) {
    await page.getByTestId('pay-amount').fill(amount)
    await page.getByTestId('pay-amount').press('Enter') // on to 实收
  }
  const due = fen(await page.getByTestId('pay-amount').inputValue())
  if (exact) await page.keyboard.press('F4')
  else await page.keyboard.type(`${(due / 10000n + 1n) * 100n}`)
  await page.keyboard.press('Enter')
  await page.getByTestId('payment-result').waitFor()
  assert.match(await text(page, 'receipt-no'), RECEIPT_NO)
  const booked = await amountText(page, 'result-amount')
  assert.equal(fen(booked), due, 'the core booked the amount keyed')
  await finishResult(page) // back on the account, reloaded
  await page.getByTestId('account-no').waitFor()
  return booked
}

/**
 * Wait for a status-bar poll (every 5 s, or 立即同步's re-read) whose SyncStatus satisfies `ok`.
 * (Its rejection is also handled at once, so a test that fails before awaiting it reports that
 * failure, not this one's timeout later.)
 */
function statusWhere(page, ok, timeout = 45_000) {
  const seen = page.waitForResponse(
    async (r) => r.url().endsWith('/api/call/sync_status') && r.ok() && ok(await r.json()),
    { timeout },
  )
  seen.catch(() => undefined)
  return seen
}

/** Poll `cond` (a synchronous check, e.g. on the ledger's CLI) until it holds or `ms` have passed. */
async function eventually(what, cond, ms = 15_000) {
  const until = Date.now() + ms
  while (!cond()) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`)
    await new Promise((r) => setTimeout(r, 200)) // poll interval, not a wait for readiness
  }
}

/** The ledger's count and sum (in fen) of DEMO-01's payments. */
function ledgerPayments(ledger) {
  const row = ledger.json(['totals', '--terminal', TERMINAL]).find((t) => t.kind === 'payment')
  return row ? { count: row.count, sum: fen(String(row.sum)) } : { count: 0, sum: 0n }
}

describe('a counter syncing with the central ledger, offline and back', () => {
  let ledger
  let wire
  let stack
  let page
  /** What the counter took, as its result screen showed it. */
  const taken = []

  before(async () => {
    ledger = await startLedger()
    wire = await cable(new URL(ledger.url).host)
    stack = await startStack({ keyring: true })
    page = await stack.page()
  })
  after(async () => {
    // Each step on its own: one that fails must not leave the others running.
    await stack?.stop().catch((e) => console.error('stopping the stack:', e))
    await wire?.close().catch((e) => console.error('closing the proxy:', e))
    await ledger?.stop().catch((e) => console.error('stopping the ledger:', e))
  })

  test('an administrator enrols the terminal in Settings with the ledger URL and a one-time code', async () => {
    const code = ledger.enrol(TERMINAL)
    assert.ok(code.length >= 6, `a one-time code is printed: ${code}`)

    await login(page, DEMO.admin)
    await page.keyboard.press('F11')
    await page.getByTestId('settings-dialog').waitFor()
    await page.getByTestId('ledger-url').fill(wire.url)
    await page.getByTestId('ledger-code').fill(code)
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/call/sync_enrol'))
    // 注册终端 with the mouse (Enter is covered by the unit tests): afterwards Esc must still close
    // Settings, i.e. the focus did not fall out of the dialog while the button was busy.
    await page.getByTestId('ledger-enrol').click()
    const response = await answered
    assert.equal(response.status(), 200, `enrolment answered: ${await response.text()}`)
    await page.getByTestId('ledger-enrolled').waitFor()
    assert.equal((await response.json()).enrolled, true, 'the token is in the keyring: the core says enrolled')
    assert.match(await text(page, 'ledger-state'), new RegExp(wire.url.replace(/[.]/g, '\\.')))
    await page.screenshot({ path: artifactPath('ledger-enrolled.png') })
    await page.keyboard.press('Escape')
    await page.getByTestId('settings-dialog').waitFor({ state: 'detached' })
    await page.getByTestId('logout').click()
  })

  test('online: a cash payment reaches the ledger through the background sync; 已同步', async () => {
    await login(page, DEMO.cashier)
    await openShift(page)
    await openAccount(page, ARREARS_ACCOUNT)
    await page.getByTestId('total').waitFor()
    const total = await amountText(page, 'total')
    assert.ok(fen(total) > 100000n, `the demo arrears are over 1000.00: ${total}`)

    // Part of the arrears now, the rest later (offline): both on the account the ledger also holds.
    taken.push(await payCash(page, '1000.00'))
    // No 立即同步 here: the payment woke the background runner, which pushes it. The payment is
    // committed by now, so a status with nothing waiting comes after the push.
    await statusWhere(page, (s) => s.enrolled && s.waiting === 0 && s.last_error === null && s.last_success !== null)
    await page.locator('[data-testid="sync-status"][data-tone="ok"]').waitFor()
    assert.match(await text(page, 'sync-text'), /^已同步 \d{2}:\d{2}$/)
    await page.getByTestId('sync-status').screenshot({ path: artifactPath('ledger-status-synced.png') })

    const expected = { count: 1, sum: fen(taken[0]) }
    await eventually('the ledger has the payment', () => {
      const got = ledgerPayments(ledger)
      return got.count === expected.count && got.sum === expected.sum
    })
  })

  test('cable pulled: the cashier keeps working; the status bar shows 离线，N 笔待上传', async () => {
    wire.unplug()
    // The rest of the arrears: the amount proposed. The payment wakes the runner, whose round fails.
    taken.push(await payCash(page, null, { exact: true }))
    await page.getByTestId('no-arrears').waitFor()
    const offline = statusWhere(page, (s) => s.waiting > 0 && s.last_error?.code === 'SYNC_OFFLINE')
    const seen = await (await offline).json()
    assert.equal(seen.last_error.retryable, true, 'worth retrying: amber, not red')

    await page.locator('[data-testid="sync-status"][data-tone="offline"]').waitFor()
    const shown = await text(page, 'sync-text')
    const m = /^离线，(\d+) 笔待上传$/.exec(shown)
    assert.ok(m, `the status bar says 离线，N 笔待上传: ${shown}`)
    const n = Number(m[1])
    assert.ok(n >= 1, `at least the payment waits: ${n}`)
    const ctlStatus = JSON.parse(stack.ctlAs(DEMO.admin, ['--json', 'sync', 'status']))
    assert.equal(ctlStatus.waiting, n, 'cashdeskctl sync status counts the same events waiting')
    await page.getByTestId('sync-status').screenshot({ path: artifactPath('ledger-status-offline.png') })

    // The details name the reason in Chinese.
    await page.getByTestId('sync-state').click()
    await page.getByTestId('sync-error').waitFor()
    assert.match(await text(page, 'sync-error'), /无法连接账务中心/)
    assert.equal(await text(page, 'sync-waiting'), String(n))
    await page.getByTestId('sync-state').press('Escape')
    await page.getByTestId('sync-details').waitFor({ state: 'detached' })

    assert.deepEqual(ledgerPayments(ledger), { count: 1, sum: fen(taken[0]) }, 'nothing reached the ledger meanwhile')
  })

  test('cable back: 立即同步 drains the queue, 已同步, and the ledger agrees with the counter to the fen', async () => {
    wire.plug()
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/call/sync_now'))
    answered.catch(() => undefined)
    const synced = statusWhere(page, (s) => s.waiting === 0 && s.last_error === null)
    await page.getByTestId('sync-now').click()
    const response = await answered
    assert.equal(response.status(), 200, `立即同步 answered: ${await response.text()}`)
    await synced
    await page.locator('[data-testid="sync-status"][data-tone="ok"]').waitFor()
    assert.match(await text(page, 'sync-text'), /^已同步 \d{2}:\d{2}$/)
    await page.getByTestId('sync-status').screenshot({ path: artifactPath('ledger-status-back.png') })
    await page.screenshot({ path: artifactPath('ledger-counter.png') })

    // The ledger's totals equal what the counter took.
    const counterSum = taken.reduce((a, t) => a + fen(t), 0n)
    assert.deepEqual(ledgerPayments(ledger), { count: taken.length, sum: counterSum })
    // Its copy of the account has no arrears left, as the counter's has none.
    assert.equal(stack.quote(ARREARS_ACCOUNT).bills.length, 0, 'the counter: no arrears')
    const account = ledger.json(['account', 'show', ARREARS_ACCOUNT])
    for (const b of account.bills) assert.equal(fen(String(b.outstanding)), 0n, `the ledger: bill ${b.period} settled`)
    assert.deepEqual(ledger.json(['conflicts', 'list']), [], 'nothing for review: each event applied as the counter did')

    // The counter has nothing waiting (cashdeskctl in the bridge's keyring session: enrolled).
    const status = JSON.parse(stack.ctlAs(DEMO.admin, ['--json', 'sync', 'status']))
    assert.equal(status.enrolled, true, JSON.stringify(status))
    assert.equal(status.waiting, 0, JSON.stringify(status))
    assert.equal(status.last_error, null, JSON.stringify(status))
  })
})

// End-to-end harness: the built UI (ui/dist) served by the real Rust core through
// `cashdesk-bridge`, driven in the system's Chromium by playwright-core.
//
// Hermetic: every child process (cashdeskctl, the bridge, Chromium) gets a fresh temp dir as
// HOME and XDG_*, its own database and its own browser profile. No sleeps: the bridge is
// awaited through its LISTENING line and /healthz. stop() ends what a stack or ledger started; a
// detached watcher does it should the test process be killed before its after() hooks run.
//
// Printing: the bridge never reaches a real printer. It runs e2e/fake-lp.sh instead of CUPS `lp`
// (CASHDESK_LP), which files every job as a PDF in the stack's `prints` dir (CASHDESK_TEST_PRINTS).
// `holdPrinter()` makes the next job wait until `releasePrinter()` (CASHDESK_TEST_HOLD), so that a
// test can act while a job is in the spooler's hands (`printerWaiting()` says when one is).
// The print queues come from e2e/fake-lpstat.sh instead of CUPS `lpstat` (CASHDESK_LPSTAT): none
// while the demo is seeded, then TEST_QUEUE.
//
// Keyring: with `startStack({ keyring: true })` the bridge runs inside its own D-Bus session
// (dbus-run-session) with gnome-keyring-daemon serving the Secret Service, unlocked, its files
// under the stack's temp HOME: the OS keyring the counter keeps its ledger token in, for real.
//
// Ledger: startLedger() runs `cashdesk-ledger serve` on a throwaway PostgreSQL
// (scripts/pg-throwaway.sh) on a free loopback port, with the demo province imported.
//
// Binaries: $CASHDESKCTL, $CASHDESK_BRIDGE and $CASHDESK_LEDGER, else
// $CARGO_TARGET_DIR/debug/<name>, else <repo>/target/debug/<name>. Browser: $CHROMIUM, else
// /usr/bin/chromium.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = dirname(fileURLToPath(import.meta.url))
export const UI_DIR = resolve(here, '..')
export const REPO = resolve(UI_DIR, '..')
const DIST = join(UI_DIR, 'dist')
export const FAKE_LP = join(here, 'fake-lp.sh')
/** The test print system's queue list (CASHDESK_LPSTAT): the lines of the stack's `queues` file. */
export const FAKE_LPSTAT = join(here, 'fake-lpstat.sh')
/** The print queue the test print system has once the stack runs. */
export const TEST_QUEUE = 'counter-test'

const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(REPO, 'target')
export const CASHDESKCTL = process.env.CASHDESKCTL || join(targetDir, 'debug', 'cashdeskctl')
export const CASHDESK_BRIDGE = process.env.CASHDESK_BRIDGE || join(targetDir, 'debug', 'cashdesk-bridge')
export const CASHDESK_LEDGER = process.env.CASHDESK_LEDGER || join(targetDir, 'debug', 'cashdesk-ledger')
const PG_THROWAWAY = join(REPO, 'scripts', 'pg-throwaway.sh')
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium'
export const ARTIFACTS = resolve(process.env.E2E_ARTIFACTS || join(REPO, 'artifacts'))

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]

export const DEMO = {
  cashier: { username: 'cashier1', password: 'Cashier#2026' },
  supervisor: { username: 'super1', password: 'Super#2026' },
  finance: { username: 'finance1', password: 'Finance#2026' },
  admin: { username: 'admin', password: 'Admin#2026' },
}
export const ARREARS_ACCOUNT = '3100000001'

function need(path, what, hint) {
  if (!existsSync(path)) throw new Error(`${what} not found at ${path}: ${hint}`)
}

/** Run cashdeskctl against the stack's database; resolves its stdout, rejects on non-zero exit. */
function runCtl(env, db, args, input) {
  const r = spawnSync(CASHDESKCTL, ['--db', db, ...args], { env, input: input ?? '', encoding: 'utf8', timeout: 60_000 })
  if (r.error) throw r.error
  if (r.status !== 0) throw new Error(`cashdeskctl ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return r.stdout
}

async function waitHealthy(url, bridge, deadlineMs, name = 'cashdesk-bridge') {
  const until = Date.now() + deadlineMs
  for (;;) {
    if (bridge.exitCode !== null) throw new Error(`${name} exited with ${bridge.exitCode} before it was healthy`)
    try {
      const r = await fetch(url + '/healthz')
      if (r.ok) return
    } catch {
      // not accepting yet
    }
    if (Date.now() > until) throw new Error(`${name} at ${url} not healthy after ${deadlineMs} ms`)
    await new Promise((r) => setTimeout(r, 25)) // poll interval, not a wait for readiness
  }
}

function readListening(bridge, stderrTail, deadlineMs) {
  return new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`no LISTENING line from cashdesk-bridge in ${deadlineMs} ms; stderr: ${stderrTail()}`)), deadlineMs)
    const lines = createInterface({ input: bridge.stdout })
    lines.on('line', (line) => {
      // `LISTENING http://127.0.0.1:PORT secret=HEX`: the run's secret every call carries.
      const m = /^LISTENING (http:\/\/\S+) secret=([0-9a-f]{64})$/.exec(line.trim())
      if (m) {
        clearTimeout(timer)
        resolveUrl({ url: m[1], secret: m[2] })
      }
    })
    bridge.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`cashdesk-bridge exited with ${code}; stderr: ${stderrTail()}`))
    })
  })
}

function onPath(tool) {
  return (process.env.PATH || '').split(delimiter).some((d) => d !== '' && existsSync(join(d, tool)))
}

/** Is a process (by pid) still there? */
function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Should this test process die without its after() hooks (killed, crashed), kill `target` too: a
 * pid, or with `group` its whole process group; then delete `dir` if given. A detached watcher
 * waits for this process to end (`tail --pid`); the returned function disarms it, for a normal stop.
 */
function killWithThisProcess(target, { group = false, dir = '' } = {}) {
  const victim = group ? `-${target}` : String(target)
  const script = 'tail --pid="$1" -f /dev/null; kill -9 "$2" 2>/dev/null; sleep 1; [ -z "$3" ] || rm -rf "$3"'
  const watcher = spawn('sh', ['-c', script, 'e2e-watchdog', String(process.pid), victim, dir], {
    detached: true,
    stdio: 'ignore',
  })
  watcher.unref()
  return () => {
    try {
      process.kill(-watcher.pid, 'SIGKILL') // the shell and its tail
    } catch {
      // already gone
    }
  }
}

// Run inside `dbus-run-session`: start gnome-keyring-daemon on that session bus with an unlocked
// login keyring under $HOME (its output to /dev/null: it forks, and inherited pipes would never
// close), note the bus address and this shell's pid (the bridge's, after exec) in
// $CASHDESK_E2E_SESSION, then become the bridge. When the bridge exits, dbus-run-session ends the
// bus, and the keyring daemon exits with it.
const KEYRING_SESSION = `printf '%s' cashdesk-e2e | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 \
  || { echo 'gnome-keyring-daemon did not start' >&2; exit 1; }
printf '%s' "$DBUS_SESSION_BUS_ADDRESS" >"$CASHDESK_E2E_SESSION/bus"
printf '%s' "$$" >"$CASHDESK_E2E_SESSION/pid"
exec "$0" "$@"`

/**
 * Start a fresh stack: temp home, demo database, bridge, browser.
 * `cashdeskctl` logs a person in for every command but `init`, `words` and `calendar
 * is-working-day|next-working-day`: `ctlAs(user, args, more)` passes `--user` and the password on
 * the first line of stdin (`more`: the next lines, an approver's or a new password); `ctl(args,
 * input)` runs it as given.
 * `now` (RFC 3339, e.g. `2026-03-01T10:00:00+08:00`) runs the bridge's clock at that fixed instant
 * (`cashdesk-bridge --now`), for rules that depend on the day such as holiday cash.
 * `keyring: true` runs the bridge in a private D-Bus session with gnome-keyring-daemon (the real
 * Secret Service, under the stack's temp HOME), so that enrolling with a ledger stores the token
 * as on a counter; `ctl` then joins that session too. Without it no session bus is reachable.
 * Printing goes to e2e/fake-lp.sh, which files each job in `prints` (see printedPdfs()).
 * Returns { url, secret, db, prints, ctl(args, input), ctlAs(user, args, more), quote(accountNo), api(cmd, req), holdPrinter(), releasePrinter(), printerWaiting(),
 * page({ clock }), stop() }.
 */
export async function startStack({ now, keyring = false } = {}) {
  need(CASHDESKCTL, 'cashdeskctl', 'build it with `cargo build --bin cashdeskctl` or set CASHDESKCTL')
  need(CASHDESK_BRIDGE, 'cashdesk-bridge', 'build it with `cargo build -p cashdesk-bridge` or set CASHDESK_BRIDGE')
  need(join(DIST, 'index.html'), 'the built UI', 'run `npm run build` in ui/ first')
  need(CHROMIUM, 'chromium', 'install it (apt-get install chromium) or set CHROMIUM')
  if (keyring) {
    const missing = ['dbus-run-session', 'gnome-keyring-daemon'].filter((t) => !onPath(t))
    if (missing.length > 0) {
      throw new Error(`${missing.join(', ')} not found: install the Debian packages gnome-keyring dbus-daemon dbus-bin (scripts/system-packages.txt)`)
    }
  }

  const root = mkdtempSync(join(tmpdir(), 'cashdesk-e2e-'))
  const home = join(root, 'home')
  const queues = join(root, 'queues')
  // The print system the core lists queues from: "not running" while the demo is seeded (so a fresh
  // demo counter has no printer, as on a computer without one), then with TEST_QUEUE.
  const env = { ...process.env, HOME: home, CASHDESK_LPSTAT: FAKE_LPSTAT, CASHDESK_TEST_QUEUES: queues }
  // Never the developer's own desktop session (and keyring): a stack has its own bus or none.
  delete env.DBUS_SESSION_BUS_ADDRESS
  for (const [k, d] of [
    ['XDG_RUNTIME_DIR', 'run'],
    ['XDG_CACHE_HOME', 'cache'],
    ['XDG_CONFIG_HOME', 'config'],
    ['XDG_DATA_HOME', 'data'],
  ]) {
    env[k] = join(home, d)
    mkdirSync(env[k], { recursive: true, mode: 0o700 })
  }
  const db = join(root, 'cashdesk.sqlite')
  const prints = join(root, 'prints')
  mkdirSync(prints)
  const hold = join(root, 'hold-printer')
  const session = join(root, 'session')
  mkdirSync(session)
  /** The environment of cashdeskctl: the bridge's D-Bus session (and keyring) once it runs. */
  let ctlEnv = env
  const ctl = (args, input) => runCtl(ctlEnv, db, args, input)
  const ctlAs = (user, args, more = '') => ctl(['--user', user.username, ...args], `${user.password}\n${more}`)

  let bridge
  let disarm = () => undefined
  let context
  /** The bridge's own pid: with a keyring, the process spawned is dbus-run-session around it. */
  const bridgePid = () => {
    if (!keyring) return bridge.pid
    const pidFile = join(session, 'pid')
    return existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : null
  }
  /** Kill what was spawned: with a keyring, its whole process group (bus, shell, bridge). */
  const killAll = (signal) => {
    try {
      if (keyring) process.kill(-bridge.pid, signal)
      else bridge.kill(signal)
    } catch {
      // already gone
    }
  }
  const stop = async () => {
    if (context) await context.close().catch(() => undefined)
    if (bridge && bridge.exitCode === null && bridge.signalCode === null) {
      const exited = new Promise((r) => bridge.once('exit', r))
      // SIGINT to the bridge itself: it stops its background sync and exits; dbus-run-session
      // then ends the bus and exits too.
      const pid = bridgePid()
      if (pid && alive(pid)) process.kill(pid, 'SIGINT')
      else killAll('SIGKILL')
      const timer = setTimeout(() => killAll('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    }
    disarm()
    rmSync(root, { recursive: true, force: true })
  }

  try {
    ctl(['init', '--demo'])
    writeFileSync(queues, `${TEST_QUEUE}\n`)

    let stderr = ''
    const bridgeArgs = ['--db', db, '--static', DIST, '--port', '0', ...(now ? ['--now', now] : [])]
    const bridgeEnv = { ...env, CASHDESK_LP: FAKE_LP, CASHDESK_TEST_PRINTS: prints, CASHDESK_TEST_HOLD: hold }
    if (keyring) {
      bridge = spawn('dbus-run-session', ['--', 'sh', '-c', KEYRING_SESSION, CASHDESK_BRIDGE, ...bridgeArgs], {
        env: { ...bridgeEnv, CASHDESK_E2E_SESSION: session },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group, so that stop() can end all of it
      })
    } else {
      bridge = spawn(CASHDESK_BRIDGE, bridgeArgs, { env: bridgeEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    }
    disarm = killWithThisProcess(bridge.pid, { group: keyring, dir: root })
    bridge.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)))
    const { url, secret } = await readListening(bridge, () => stderr, 30_000)
    await waitHealthy(url, bridge, 30_000)
    if (keyring) {
      // Written before the shell became the bridge, which has printed LISTENING since.
      ctlEnv = { ...env, DBUS_SESSION_BUS_ADDRESS: readFileSync(join(session, 'bus'), 'utf8') }
    }

    context = await chromium.launchPersistentContext(join(root, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      env,
      viewport: { width: 1280, height: 800 },
      locale: 'zh-CN',
    })

    return {
      url,
      secret,
      db,
      prints,
      ctl,
      ctlAs,
      /** `cashdeskctl --user cashier1 --json quote ACCOUNT`, parsed (a cashier may read a quote). */
      quote: (accountNo) => JSON.parse(ctlAs(DEMO.cashier, ['--json', 'quote', accountNo])),
      /** The fake printer keeps the next jobs waiting until releasePrinter(). */
      holdPrinter: () => writeFileSync(hold, ''),
      releasePrinter: () => rmSync(hold, { force: true }),
      /** A job is waiting at the held printer. */
      printerWaiting: () => existsSync(hold + '.waiting'),
      /** Call a command on the bridge directly (test set-up); rejects with the ErrorBody's code. */
      async api(cmd, req) {
        const r = await fetch(`${url}/api/call/${cmd}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-cashdesk-bridge-secret': secret },
          body: JSON.stringify(req),
        })
        const body = await r.json()
        if (!r.ok) throw Object.assign(new Error(`${cmd}: ${body.code} ${body.message}`), { body })
        return body
      },
      /**
       * A fresh tab on the UI (the app starts at the log-in screen). `clock: true` installs
       * Playwright's fake clock in the browser first (time flows as usual until a test moves it,
       * e.g. `page.clock.fastForward('01:05')` past the idle lock): the UI itself has no test hook.
       */
      async page({ clock = false } = {}) {
        const page = await context.newPage()
        if (clock) await page.clock.install()
        // As a developer opens it (the bridge's OPEN line): the UI keeps the secret for the tab.
        await page.goto(`${url}/#bridge-secret=${secret}`)
        return page
      },
      stop,
    }
  } catch (e) {
    await stop()
    throw e
  }
}

/** The trimmed text of the element with `data-testid` = `testid`. */
export async function text(page, testid) {
  return (await page.getByTestId(testid).textContent())?.trim()
}

/** An amount as the screens show it (12,793.38) without its separators: the core's string. */
export function plain(amount) {
  return amount?.replaceAll(',', '')
}

/** The core's amount (12793.38) as the screens show it (12,793.38). */
export function grouped(amount) {
  return amount.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/**
 * The amount shown at `testid`, checked to be in the screens' one format (thousands grouped, two
 * decimals: 12,793.38), as the core's string (12793.38).
 */
export async function amountText(page, testid) {
  const shown = await text(page, testid)
  assert.match(shown ?? '', /^-?\d{1,3}(,\d{3})*\.\d{2}$/, `${testid} shows an amount grouped by thousands: ${shown}`)
  return plain(shown)
}

/** F2, type the 户号, Enter: the account card opens on it. */
export async function openAccount(page, accountNo) {
  await page.keyboard.press('F2')
  await page.getByTestId('search-input').waitFor()
  await page.keyboard.type(accountNo)
  await page.keyboard.press('Enter')
  await page.getByTestId('account-no').waitFor()
  assert.equal(await text(page, 'account-no'), accountNo)
}

/**
 * Finish the result panel of a payment as a cashier does: it ignores keys for its first second
 * and waits for the print; Enter then acknowledges "收据未打印" if the receipt was not printed,
 * and one more Enter finishes.
 */
export async function finishResult(page) {
  const result = page.getByTestId('payment-result')
  await page.locator('[data-testid="payment-result"][data-armed="true"]').waitFor()
  await page.locator('[data-testid="print-status"]:not([data-state="printing"]):not([data-state="idle"])').waitFor()
  if ((await result.getAttribute('data-print-ack')) === 'needed') {
    await page.keyboard.press('Enter')
    await page.locator('[data-testid="payment-result"][data-print-ack="no"]').waitFor()
  }
  await page.keyboard.press('Enter')
  await result.waitFor({ state: 'detached' })
}

/** Log in through the UI and wait for the counter screen. */
export async function login(page, { username, password }) {
  await page.getByTestId('login-username').fill(username)
  await page.getByTestId('login-username').press('Enter')
  await page.getByTestId('login-password').fill(password)
  await page.getByTestId('login-password').press('Enter')
  await page.getByTestId('logout').waitFor()
}

/**
 * Submit the log-in form and wait for the backend's answer, so each attempt's message is the
 * answer to that attempt (the same text may be shown twice in a row).
 */
export async function attemptLogin(page, username, password) {
  await page.getByTestId('login-username').fill(username)
  await page.getByTestId('login-password').fill(password)
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/call/login'))
  await page.getByTestId('login-submit').click()
  await answered
}

/** The PDFs the fake printer has filed so far, oldest first, each with the arguments it got. */
export function printedPdfs(prints) {
  return readdirSync(prints)
    .filter((f) => f.endsWith('.pdf'))
    .sort()
    .map((f) => {
      const pdf = join(prints, f)
      const args = readFileSync(pdf.replace(/\.pdf$/, '.args'), 'utf8').split('\n').filter((a) => a !== '')
      return { pdf, args }
    })
}

/** Wait (polling, bounded) until the fake printer has filed `n` jobs in `prints`; returns them. */
export async function waitForPrints(prints, n) {
  const until = Date.now() + 15_000
  for (;;) {
    const jobs = printedPdfs(prints)
    if (jobs.length >= n) return jobs
    if (Date.now() > until) throw new Error(`expected ${n} print jobs, the printer got ${jobs.length}`)
    await new Promise((r) => setTimeout(r, 50)) // poll interval
  }
}

/** The text of a PDF, laid out (`pdftotext -layout`, from poppler-utils). */
export function pdfText(pdf) {
  const r = spawnSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8', timeout: 30_000 })
  if (r.error) throw new Error(`pdftotext failed (install poppler-utils): ${r.error.message}`)
  if (r.status !== 0) throw new Error(`pdftotext ${pdf} exited ${r.status}: ${r.stderr}`)
  return r.stdout
}

export function artifactPath(name) {
  mkdirSync(ARTIFACTS, { recursive: true })
  return join(ARTIFACTS, name)
}

/** Stop a child process with SIGINT (graceful), SIGKILL after 5 s; resolves once it has exited. */
async function interrupt(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGINT')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}

/**
 * A central ledger (账务中心) for counters to sync with: a throwaway PostgreSQL
 * (scripts/pg-throwaway.sh, whose watchdog also removes it should this process die without
 * stop()), the schema (`cashdesk-ledger migrate`), the demo province (`import demo`: the demo
 * counter's accounts and bills), and `cashdesk-ledger serve` on a free 127.0.0.1 port, awaited
 * through its "ledger listening" log line and /healthz.
 * Returns { url, run(args, input) → stdout (`input`: standard input, e.g. a password), json(args,
 * input) → parsed `--json` output, enrol(terminal) → the one-time code, stop() }.
 */
export async function startLedger() {
  need(CASHDESK_LEDGER, 'cashdesk-ledger', 'build it with `cargo build -p cashdesk-ledger` or set CASHDESK_LEDGER')
  // Short: the cluster's unix socket path must fit in 107 bytes (pg-throwaway.sh checks).
  const pgDir = mkdtempSync(join(tmpdir(), 'cd-pg-'))
  const env = { ...process.env, NO_COLOR: '1', RUST_LOG: 'info,sqlx=warn' }
  delete env.CASHDESK_LEDGER_CONFIG
  let server
  let disarm = () => undefined
  let log = ''
  const stop = async () => {
    await interrupt(server)
    disarm()
    spawnSync(PG_THROWAWAY, ['stop', pgDir, '--rm'], { stdio: 'ignore', timeout: 90_000 })
    rmSync(pgDir, { recursive: true, force: true })
  }
  const run = (args, input) => {
    const r = spawnSync(CASHDESK_LEDGER, args, { env, input: input ?? '', encoding: 'utf8', timeout: 120_000 })
    if (r.error) throw r.error
    if (r.status !== 0) throw new Error(`cashdesk-ledger ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
    return r.stdout
  }

  try {
    const pg = spawnSync(PG_THROWAWAY, ['start', pgDir, '--owner-pid', String(process.pid)], {
      encoding: 'utf8',
      timeout: 120_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    if (pg.error) throw pg.error
    if (pg.status !== 0) throw new Error(`scripts/pg-throwaway.sh start exited ${pg.status}: ${pg.stderr}`)
    env.CASHDESK_LEDGER_DATABASE_URL = pg.stdout.trim()
    env.CASHDESK_LEDGER_BIND = '127.0.0.1:0'
    // The ledger's data key (it seals the payees' account numbers): with the throwaway database,
    // never in the working directory (the ledger's default without a configuration file).
    env.CASHDESK_LEDGER_DATA_KEY_FILE = join(pgDir, 'ledger.datakey')
    run(['migrate'])
    run(['import', 'demo'])

    server = spawn(CASHDESK_LEDGER, ['serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] })
    disarm = killWithThisProcess(server.pid)
    // Always drained (a full pipe would stall the server); the tail is kept for error messages.
    server.stderr.setEncoding('utf8')
    server.stderr.on('data', (d) => (log = (log + d).slice(-8000)))
    const addr = await new Promise((resolveAddr, reject) => {
      const timer = setTimeout(() => reject(new Error(`cashdesk-ledger serve: no "ledger listening" line in 60 s; log: ${log}`)), 60_000)
      createInterface({ input: server.stderr }).on('line', (line) => {
        // e.g. `2026-… INFO cashdesk_ledger::tls: ledger listening (HTTP) local=127.0.0.1:41234`
        const m = /ledger listening \(HTTP\)\s+local=(127\.0\.0\.1:\d+)/.exec(line.replace(/\x1b\[[0-9;]*m/g, ''))
        if (m) {
          clearTimeout(timer)
          resolveAddr(m[1])
        }
      })
      server.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`cashdesk-ledger serve exited with ${code}; log: ${log}`))
      })
    })
    const url = `http://${addr}`
    await waitHealthy(url, server, 30_000, 'cashdesk-ledger')
    return {
      url,
      run,
      json: (args, input) => JSON.parse(run([...args, '--json'], input)),
      enrol: (terminal) => run(['terminal', 'enrol', terminal]).trim(),
      log: () => log,
      stop,
    }
  } catch (e) {
    await stop()
    throw e
  }
}

// Desktop end-to-end harness: the app as it ships (`cashdesk-app`, built by the Tauri CLI with the
// UI embedded), in its own WebKitGTK window, driven through tauri-driver and WebKitWebDriver on a
// virtual X display (Xvfb).
//
// Hermetic: each app gets a fresh temp dir as HOME and XDG_*, its own database (seeded with the
// demo counter by the app's own `--demo` on first start), its own tauri-driver on free ports, and
// TZ=Asia/Shanghai (a counter's clock). The display is one Xvfb on a display number it picks itself
// (`-displayfd`). No sleeps: tauri-driver is awaited through /status, Xvfb through its display
// number, the window's elements by polling.
//
// Printing: CASHDESK_LP runs ui/e2e/fake-lp.sh instead of CUPS `lp`: each job is filed as a PDF in
// the app's `prints` dir (the same file-backed test printer as the browser tests).
// `now`: the app (and its web processes) run their wall clock from that instant under libfaketime
// (package faketime; monotonic clocks untouched, so timers behave): the shipped binary has no
// clock option, and a rule such as holiday cash needs a Sunday.
// `keyring: true`: the app runs inside its own D-Bus session with gnome-keyring-daemon (the Secret
// Service the counter keeps its ledger token in), as ui/e2e/harness.mjs does for the bridge.
//
// Binaries: $CASHDESK_APP (else $CARGO_TARGET_DIR/debug/cashdesk-app), $TAURI_DRIVER (else
// `tauri-driver` on PATH), $WEBKIT_WEBDRIVER (else /usr/bin/WebKitWebDriver).
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { newSession } from './webdriver.mjs'

const here = dirname(fileURLToPath(import.meta.url))
export const UI_DIR = resolve(here, '..')
export const REPO = resolve(UI_DIR, '..')
export const FAKE_LP = join(UI_DIR, 'e2e', 'fake-lp.sh')
/** The test print system's queue list instead of CUPS `lpstat` (the lines of the app's `queues` file). */
export const FAKE_LPSTAT = join(UI_DIR, 'e2e', 'fake-lpstat.sh')
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(REPO, 'target')
export const APP = resolve(process.env.CASHDESK_APP || join(targetDir, 'debug', 'cashdesk-app'))
export const ARTIFACTS = resolve(process.env.E2E_ARTIFACTS || join(REPO, 'artifacts', 'desktop'))
const WEBKIT_WEBDRIVER = process.env.WEBKIT_WEBDRIVER || '/usr/bin/WebKitWebDriver'
const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1'

export const DEMO = {
  cashier: { username: 'cashier1', password: 'Cashier#2026' },
  supervisor: { username: 'super1', password: 'Super#2026' },
  finance: { username: 'finance1', password: 'Finance#2026' },
  admin: { username: 'admin', password: 'Admin#2026' },
}
export const ARREARS_ACCOUNT = '3100000001'

function onPath(tool) {
  return (process.env.PATH || '').split(delimiter).find((d) => d !== '' && existsSync(join(d, tool)))
}

export function tauriDriverPath() {
  if (process.env.TAURI_DRIVER) return process.env.TAURI_DRIVER
  const dir = onPath('tauri-driver')
  if (dir) return join(dir, 'tauri-driver')
  throw new Error('tauri-driver not found: `make e2e-desktop` installs it (cargo install tauri-driver --locked), or set TAURI_DRIVER')
}

function need(path, what, hint) {
  if (!existsSync(path)) throw new Error(`${what} not found at ${path}: ${hint}`)
}

/** A free loopback port: bound and released again (tauri-driver takes ports, not port 0). */
export async function freePort() {
  const server = createServer()
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address()
  await new Promise((r) => server.close(r))
  return port
}

function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Should this test process die without its after() hooks, kill the process group `pgid` and
 * delete `dir`: a detached watcher waits for this process to end. Returns the disarm function.
 */
function killWithThisProcess(pgid, dir = '') {
  const script = 'tail --pid="$1" -f /dev/null; kill -9 -- "-$2" 2>/dev/null; [ -z "$3" ] || { sleep 1; rm -rf "$3"; }'
  const watcher = spawn('sh', ['-c', script, 'desktop-watchdog', String(process.pid), String(pgid), dir], {
    detached: true,
    stdio: 'ignore',
  })
  watcher.unref()
  return () => {
    try {
      process.kill(-watcher.pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

/** End a detached child's whole process group: SIGTERM, SIGKILL after 5 s; resolves once it exited. */
async function endGroup(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  try {
    process.kill(-child.pid, 'SIGTERM')
  } catch {
    return
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL')
    } catch {
      // gone
    }
  }, 5_000)
  await exited
  clearTimeout(timer)
}

/**
 * A virtual X display: Xvfb picks a free display number itself and writes it to fd 3
 * (`-displayfd`), so two runs never collide. Returns { display: ':N', stop() }.
 */
export async function startDisplay({ width = 1920, height = 1080 } = {}) {
  need('/usr/bin/Xvfb', 'Xvfb', 'install the Debian package xvfb (scripts/system-packages.txt)')
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const disarm = killWithThisProcess(xvfb.pid)
  let stderr = ''
  xvfb.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)))
  const display = await new Promise((res, rej) => {
    let out = ''
    const timer = setTimeout(() => rej(new Error(`Xvfb gave no display number in 30 s: ${stderr}`)), 30_000)
    xvfb.stdio[3].on('data', (d) => {
      out += d
      if (out.includes('\n')) {
        clearTimeout(timer)
        res(`:${out.trim()}`)
      }
    })
    xvfb.once('exit', (code) => {
      clearTimeout(timer)
      rej(new Error(`Xvfb exited with ${code}: ${stderr}`))
    })
  })
  return {
    display,
    async stop() {
      await endGroup(xvfb)
      disarm()
    },
  }
}

/** A hermetic environment under `home`: HOME and XDG_* there, no desktop session bus. */
export function hermeticEnv(home, display) {
  const env = { ...process.env, HOME: home, DISPLAY: display, TZ: 'Asia/Shanghai', LANG: 'C.UTF-8', NO_COLOR: '1' }
  delete env.DBUS_SESSION_BUS_ADDRESS
  delete env.WAYLAND_DISPLAY
  delete env.CASHDESK_DB
  delete env.CASHDESK_DATA_DIR
  for (const [k, d] of [
    ['XDG_RUNTIME_DIR', 'run'],
    ['XDG_CACHE_HOME', 'cache'],
    ['XDG_CONFIG_HOME', 'config'],
    ['XDG_DATA_HOME', 'data'],
  ]) {
    env[k] = join(home, d)
    mkdirSync(env[k], { recursive: true, mode: 0o700 })
  }
  // WebKitGTK on a display without a GPU: software rendering, or the page may stay blank.
  env.WEBKIT_DISABLE_DMABUF_RENDERER = '1'
  env.LIBGL_ALWAYS_SOFTWARE = '1'
  return env
}

// Inside dbus-run-session: gnome-keyring-daemon on that bus with an unlocked keyring under $HOME,
// the bus address noted for cashdeskctl-like helpers, then become the app.
const KEYRING_SESSION = `printf '%s' cashdesk-e2e | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 \
  || { echo 'gnome-keyring-daemon did not start' >&2; exit 1; }
printf '%s' "$DBUS_SESSION_BUS_ADDRESS" >"$CASHDESK_E2E_ROOT/bus"
printf '%s' "$$" >"$CASHDESK_E2E_ROOT/app.pid"
exec "$0" "$@"`

function shq(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`
}

/**
 * Start the app in a fresh temp home on `display` through its own tauri-driver, and open a
 * WebDriver session on its window (the log-in screen). Returns { s (the Session), root, db,
 * prints, queues, env, appPid(), log(), stop() }. `extraEnv` is added to the app's environment (the
 * bench's WebKit settings). `queues` are the computer's print queues, its default first; `null` is a
 * computer whose print system is not running (the demo counter then gets no printer). The file
 * `queues` names can be rewritten while the app runs: a printer installed or removed.
 */
export async function startDesktop({ display, now, keyring = false, extraEnv = {}, root, queues: queueNames = ['counter-test'] } = {}) {
  need(APP, 'cashdesk-app', 'build it with `make build` (the Tauri CLI, UI embedded) or set CASHDESK_APP')
  need(WEBKIT_WEBDRIVER, 'WebKitWebDriver', 'install the Debian package webkit2gtk-driver (scripts/system-packages.txt)')
  if (now) need(FAKETIME_LIB, 'libfaketime', 'install the Debian package faketime (scripts/system-packages.txt)')
  const driverBin = tauriDriverPath()

  // A given root (the bench's, kept between starts of the same counter) is the caller's to delete.
  const keepRoot = root !== undefined
  root = root ?? mkdtempSync(join(tmpdir(), 'cashdesk-desktop-'))
  const home = join(root, 'home')
  const env = hermeticEnv(home, display)
  const prints = join(root, 'prints')
  mkdirSync(prints, { recursive: true })
  const db = join(root, 'cashdesk.sqlite')
  // The computer's print queues (by default counter-test, which a fresh demo counter takes as its
  // printer); without the file the test print system is "not running".
  const queues = join(root, 'queues')
  if (queueNames !== null) writeFileSync(queues, queueNames.map((q) => `${q}\n`).join(''))
  const appEnv = {
    CASHDESK_LP: FAKE_LP,
    CASHDESK_TEST_PRINTS: prints,
    CASHDESK_LPSTAT: FAKE_LPSTAT,
    CASHDESK_TEST_QUEUES: queues,
    CASHDESK_E2E_ROOT: root,
    ...extraEnv,
  }
  if (now) {
    // "@" starts the wall clock at that instant and lets it run; monotonic time is left alone.
    Object.assign(appEnv, { LD_PRELOAD: FAKETIME_LIB, FAKETIME: `@${now}`, FAKETIME_DONT_FAKE_MONOTONIC: '1' })
  }
  // The launcher: what WebKitWebDriver starts. It notes the app's pid and becomes the app (exec),
  // inside a private D-Bus session with a keyring when asked.
  const launcher = join(root, 'cashdesk-app.sh')
  const exports = Object.entries(appEnv)
    .map(([k, v]) => `export ${k}=${shq(v)}`)
    .join('\n')
  const appCmd = `${shq(APP)} --db ${shq(db)} --demo`
  const body = keyring
    ? `exec dbus-run-session -- sh -c ${shq(KEYRING_SESSION)} ${appCmd}`
    : `printf '%s' "$$" >"$CASHDESK_E2E_ROOT/app.pid"\nexec ${appCmd}`
  // The wall clock just before the app is exec'd: the bench's "process start".
  const stamp = `date +%s%N >"$CASHDESK_E2E_ROOT/start.ns"`
  writeFileSync(launcher, `#!/bin/sh\n${exports}\n${stamp}\n${body}\n`)
  chmodSync(launcher, 0o755)

  const port = await freePort()
  const nativePort = await freePort()
  const driver = spawn(driverBin, ['--port', String(port), '--native-port', String(nativePort), '--native-driver', WEBKIT_WEBDRIVER], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: WebKitWebDriver and the app are in it
  })
  const disarm = killWithThisProcess(driver.pid, keepRoot ? '' : root)
  let log = ''
  const keep = (d) => (log = (log + d).slice(-8000))
  driver.stdout.on('data', keep)
  driver.stderr.on('data', keep)

  let session
  const appPid = () => {
    const f = join(root, 'app.pid')
    return existsSync(f) ? Number(readFileSync(f, 'utf8')) : null
  }
  const stop = async () => {
    if (session) await session.close().catch(() => undefined)
    await endGroup(driver)
    const pid = appPid()
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL')
    disarm()
    if (!keepRoot) rmSync(root, { recursive: true, force: true })
  }

  try {
    const url = `http://127.0.0.1:${port}`
    const until = Date.now() + 30_000
    for (;;) {
      if (driver.exitCode !== null) throw new Error(`tauri-driver exited with ${driver.exitCode}: ${log}`)
      try {
        const r = await fetch(`${url}/status`)
        if (r.ok) break
      } catch {
        // not listening yet
      }
      if (Date.now() > until) throw new Error(`tauri-driver not answering on ${url} after 30 s: ${log}`)
      await new Promise((r) => setTimeout(r, 25)) // poll interval
    }
    const t0 = Date.now()
    session = await newSession(url, launcher)
    session.display = display
    const sessionMs = Date.now() - t0
    return {
      s: session,
      root,
      db,
      prints,
      queues,
      env,
      sessionMs,
      appPid,
      /** When the launcher exec'd the app, in ms since the epoch (fractional). */
      startedAt: () => Number(BigInt(readFileSync(join(root, 'start.ns'), 'utf8').trim()) / 1000n) / 1000,
      driverLog: () => log,
      /** What the app has logged so far (its daily files in the data directory's logs/). */
      log: () => {
        const dir = join(env.XDG_DATA_HOME, 'cashdesk', 'logs')
        return existsSync(dir) ? readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('') : ''
      },
      /** The D-Bus session of a keyring app (for a helper that must reach its keyring). */
      bus: () => readFileSync(join(root, 'bus'), 'utf8'),
      stop,
    }
  } catch (e) {
    await stop()
    throw new Error(`${e.message}\n--- tauri-driver / WebKitWebDriver / app output ---\n${log}`)
  }
}

export function artifactPath(name) {
  mkdirSync(ARTIFACTS, { recursive: true })
  return join(ARTIFACTS, name)
}

/** The app's visible top-level windows on `display` (xdotool, by the window title). */
export function appWindows(display) {
  const env = { ...process.env, DISPLAY: display }
  const r = spawnSync('xdotool', ['search', '--onlyvisible', '--name', '^Cashdesk'], { env, encoding: 'utf8', timeout: 10_000 })
  return r.status === 0 ? r.stdout.trim().split('\n').filter(Boolean) : []
}

/**
 * Save the app's window as artifacts/desktop/NAME.png, once the page has painted what it shows
 * now (two animation frames). Taken from the X display with ImageMagick's `import`: WebKitWebDriver's
 * own screenshot (GET /screenshot) never answers under Xvfb with software rendering.
 */
export async function shot(s, name) {
  await s.execAsync('const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)))')
  const env = { ...process.env, DISPLAY: s.display }
  const win = appWindows(s.display)[0] ?? ''
  const r = spawnSync('import', ['-window', win || 'root', artifactPath(`${name}.png`)], { env, encoding: 'utf8', timeout: 30_000 })
  if (r.error || r.status !== 0) throw new Error(`import (ImageMagick) could not take ${name}.png: ${r.error?.message ?? r.stderr}`)
}

/** Log in through the form (Enter from user name to password, Enter submits); the counter shows. */
export async function login(s, { username, password }) {
  await s.waitFor('login-username')
  await s.fill('login-username', username)
  await s.keys('Enter')
  await s.until('the password field has the focus', "return document.activeElement?.getAttribute('data-testid') === 'login-password'")
  await s.keys(password, 'Enter')
  await s.waitFor('logout')
}

/** F2, type the 户号, Enter: the account card opens on it. */
export async function openAccount(s, accountNo) {
  await s.keys('F2')
  await s.waitFor('search-input')
  await s.keys(accountNo, 'Enter')
  await s.until(`the account card shows ${accountNo}`, `return document.querySelector('[data-testid="account-no"]')?.textContent.trim() === arguments[0]`, {
    args: [accountNo],
  })
}

/** Open a shift with the proposed float (Enter on 备用金). */
export async function openShift(s) {
  await s.waitFor('shift-float')
  await s.until('the float field has the focus', "return document.activeElement?.getAttribute('data-testid') === 'shift-float'")
  await s.keys('Enter')
  await s.waitFor('shift-info')
}

/** The approval dialog: the supervisor types their own user name and password. */
export async function approve(s, { username, password }) {
  await s.waitFor('approval-dialog')
  await s.until('the approver field has the focus', "return document.activeElement?.getAttribute('data-testid') === 'approval-username'")
  await s.keys(username, 'Enter', password, 'Enter')
}

/**
 * Finish the payment result as a cashier does: it ignores keys for its first second and waits for
 * the print; Enter acknowledges 收据未打印 when the receipt did not print, one more Enter finishes.
 */
export async function finishResult(s) {
  await s.waitFor('[data-testid="payment-result"][data-armed="true"]')
  await s.waitFor('[data-testid="print-status"]:not([data-state="printing"]):not([data-state="idle"])')
  if ((await s.attr('payment-result', 'data-print-ack')) === 'needed') {
    await s.keys('Enter')
    await s.waitFor('[data-testid="payment-result"][data-print-ack="no"]')
  }
  await s.keys('Enter')
  await s.waitFor('payment-result', { state: 'detached' })
}

/** "1680.32" → 168032n: the test's own exact arithmetic. */
export function fen(s) {
  const neg = s.startsWith('-')
  const [i, f = ''] = (neg ? s.slice(1) : s).split('.')
  const v = BigInt(i.replace(/,/g, '')) * 100n + BigInt((f + '00').slice(0, 2))
  return neg ? -v : v
}

export function yuan(f) {
  return `${f / 100n}.${(f % 100n).toString().padStart(2, '0')}`
}

/** The text of a PDF, laid out (`pdftotext -layout`, from poppler-utils). */
export function pdfText(pdf) {
  const r = spawnSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8', timeout: 30_000 })
  if (r.error) throw new Error(`pdftotext failed (install poppler-utils): ${r.error.message}`)
  if (r.status !== 0) throw new Error(`pdftotext ${pdf} exited ${r.status}: ${r.stderr}`)
  return r.stdout
}

/** The PDFs the test printer filed, oldest first, with the `lp` arguments each got. */
export function printed(prints) {
  return readdirSync(prints)
    .filter((f) => f.endsWith('.pdf'))
    .sort()
    .map((f) => ({ pdf: join(prints, f), args: readFileSync(join(prints, f.replace(/\.pdf$/, '.args')), 'utf8').split('\n').filter(Boolean) }))
}

/** Wait (polling, bounded) until the test printer has filed `n` jobs in `prints`; returns them. */
export async function waitForPrints(prints, n) {
  const until = Date.now() + 15_000
  for (;;) {
    const jobs = printed(prints)
    if (jobs.length >= n) return jobs
    if (Date.now() > until) throw new Error(`expected ${n} print jobs, the printer got ${jobs.length}`)
    await new Promise((r) => setTimeout(r, 50)) // poll interval
  }
}

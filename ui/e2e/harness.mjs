// End-to-end harness: the built UI (ui/dist) served by the real Rust core through
// `cashdesk-bridge`, driven in the system's Chromium by playwright-core.
//
// Hermetic: every child process (cashdeskctl, the bridge, Chromium) gets a fresh temp dir as
// HOME and XDG_*, its own database and its own browser profile. No sleeps: the bridge is
// awaited through its LISTENING line and /healthz.
//
// Printing: the bridge never reaches a real printer. It runs e2e/fake-lp.sh instead of CUPS `lp`
// (CASHDESK_LP), which files every job as a PDF in the stack's `prints` dir (CASHDESK_TEST_PRINTS).
//
// Binaries: $CASHDESKCTL and $CASHDESK_BRIDGE, else $CARGO_TARGET_DIR/debug/<name>, else
// <repo>/target/debug/<name>. Browser: $CHROMIUM, else /usr/bin/chromium.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = dirname(fileURLToPath(import.meta.url))
export const UI_DIR = resolve(here, '..')
export const REPO = resolve(UI_DIR, '..')
const DIST = join(UI_DIR, 'dist')
export const FAKE_LP = join(here, 'fake-lp.sh')

const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(REPO, 'target')
export const CASHDESKCTL = process.env.CASHDESKCTL || join(targetDir, 'debug', 'cashdeskctl')
export const CASHDESK_BRIDGE = process.env.CASHDESK_BRIDGE || join(targetDir, 'debug', 'cashdesk-bridge')
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

async function waitHealthy(url, bridge, deadlineMs) {
  const until = Date.now() + deadlineMs
  for (;;) {
    if (bridge.exitCode !== null) throw new Error(`cashdesk-bridge exited with ${bridge.exitCode} before it was healthy`)
    try {
      const r = await fetch(url + '/healthz')
      if (r.ok) return
    } catch {
      // not accepting yet
    }
    if (Date.now() > until) throw new Error(`cashdesk-bridge at ${url} not healthy after ${deadlineMs} ms`)
    await new Promise((r) => setTimeout(r, 25)) // poll interval, not a wait for readiness
  }
}

function readListening(bridge, stderrTail, deadlineMs) {
  return new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`no LISTENING line from cashdesk-bridge in ${deadlineMs} ms; stderr: ${stderrTail()}`)), deadlineMs)
    const lines = createInterface({ input: bridge.stdout })
    lines.on('line', (line) => {
      const m = /^LISTENING (http:\/\/\S+)/.exec(line.trim())
      if (m) {
        clearTimeout(timer)
        resolveUrl(m[1])
      }
    })
    bridge.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`cashdesk-bridge exited with ${code}; stderr: ${stderrTail()}`))
    })
  })
}

/**
 * Start a fresh stack: temp home, demo database, bridge, browser.
 * `now` (RFC 3339, e.g. `2026-03-01T10:00:00+08:00`) runs the bridge's clock at that fixed instant
 * (`cashdesk-bridge --now`), for rules that depend on the day such as holiday cash.
 * Printing goes to e2e/fake-lp.sh, which files each job in `prints` (see printedPdfs()).
 * Returns { url, db, prints, ctl(args, input), quote(accountNo), api(cmd, req), page(), stop() }.
 */
export async function startStack({ now } = {}) {
  need(CASHDESKCTL, 'cashdeskctl', 'build it with `cargo build --bin cashdeskctl` or set CASHDESKCTL')
  need(CASHDESK_BRIDGE, 'cashdesk-bridge', 'build it with `cargo build -p cashdesk-app --bin cashdesk-bridge` or set CASHDESK_BRIDGE')
  need(join(DIST, 'index.html'), 'the built UI', 'run `npm run build` in ui/ first')
  need(CHROMIUM, 'chromium', 'install it (apt-get install chromium) or set CHROMIUM')

  const root = mkdtempSync(join(tmpdir(), 'cashdesk-e2e-'))
  const home = join(root, 'home')
  const env = { ...process.env, HOME: home }
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
  const ctl = (args, input) => runCtl(env, db, args, input)

  let bridge
  let context
  const stop = async () => {
    if (context) await context.close().catch(() => undefined)
    if (bridge && bridge.exitCode === null) {
      const exited = new Promise((r) => bridge.once('exit', r))
      bridge.kill('SIGINT')
      const timer = setTimeout(() => bridge.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    }
    rmSync(root, { recursive: true, force: true })
  }

  try {
    ctl(['init', '--demo'])

    let stderr = ''
    const bridgeArgs = ['--db', db, '--static', DIST, '--port', '0', ...(now ? ['--now', now] : [])]
    const bridgeEnv = { ...env, CASHDESK_LP: FAKE_LP, CASHDESK_TEST_PRINTS: prints }
    bridge = spawn(CASHDESK_BRIDGE, bridgeArgs, { env: bridgeEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    bridge.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)))
    const url = await readListening(bridge, () => stderr, 30_000)
    await waitHealthy(url, bridge, 30_000)

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
      db,
      prints,
      ctl,
      /** `cashdeskctl quote ACCOUNT --json`, parsed. */
      quote: (accountNo) => JSON.parse(ctl(['quote', accountNo, '--json'])),
      /** Call a command on the bridge directly (test set-up); rejects with the ErrorBody's code. */
      async api(cmd, req) {
        const r = await fetch(`${url}/api/call/${cmd}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(req),
        })
        const body = await r.json()
        if (!r.ok) throw Object.assign(new Error(`${cmd}: ${body.code} ${body.message}`), { body })
        return body
      },
      /** A fresh tab on the UI (the app starts at the log-in screen). */
      async page() {
        const page = await context.newPage()
        await page.goto(url + '/')
        return page
      },
      stop,
    }
  } catch (e) {
    await stop()
    throw e
  }
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

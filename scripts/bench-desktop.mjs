#!/usr/bin/env node
// The desktop app as it ships, measured in its own window (`make bench-desktop`): start-up time,
// resident memory, and key-to-paint latency at the counter. Drives the app through tauri-driver
// and WebKitWebDriver on Xvfb, with the harness of ui/e2e-desktop (hermetic HOME, the demo
// database, the file-backed test printer).
//
//   node scripts/bench-desktop.mjs [--starts N] [--payments N] [--variants a,b] [--json FILE]
//
// Start: from the launcher's wall clock just before it exec's the app (`date +%s%N`) to the
// page's first contentful paint (Paint Timing, `performance.timeOrigin + startTime`): the app's
// first paint is the log-in form (App.vue renders LoginView at mount; checked: the form is there).
// The time WebDriver first finds the form painted is reported too (an upper bound: it includes
// WebDriver's own start-up). Each start is a fresh process on the same, already seeded database
// and the same HOME; the first (which seeds the database) is not counted.
//
// Memory: VmRSS from /proc/PID/status of the app process and of every process below it
// (WebKitWebProcess, WebKitNetworkProcess), and their PSS from /proc/PID/smaps_rollup (RSS counts
// shared pages in each process; PSS splits them, so the PSS total is what the set really holds).
// Read after 10 s idle at the counter (logged in, shift open) and after N cash payments keyed in
// the window (each one printed to the test printer and previewed with pdf.js, as at a counter).
//
// Key-to-paint, for each payment: every character of the 户号 typed into the F2 search (until the
// hits for what is typed so far are painted), Enter to the account card, F5 to the payment dialog,
// Enter to the result. In the page, a probe records the keydown's Event.timeStamp, a
// MutationObserver notices the DOM state the key leads to, and two requestAnimationFrame callbacks
// later (the frame with the change has been painted) the time is taken: key-to-paint = that time
// minus the keydown's. It does not include the path from WebDriver to the web process (the same
// for every key), and the second frame adds up to one frame (16.7 ms at 60 Hz) to each figure.
import { readFileSync, readdirSync, rmSync, mkdtempSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import {
  APP,
  ARREARS_ACCOUNT,
  DEMO,
  finishResult,
  login,
  openShift,
  startDesktop,
  startDisplay,
} from '../ui/e2e-desktop/harness.mjs'

const args = process.argv.slice(2)
function opt(name, dflt) {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : dflt
}
const STARTS = Number(opt('starts', '5'))
const PAYMENTS = Number(opt('payments', '100'))
const JSON_OUT = opt('json', '')
/** WebKit settings tried for memory (each one an env of the app). */
const VARIANTS = {
  default: {},
  'no-compositing': { WEBKIT_DISABLE_COMPOSITING_MODE: '1' },
  'malloc-arena-2': { MALLOC_ARENA_MAX: '2' },
  'no-compositing+arena-2': { WEBKIT_DISABLE_COMPOSITING_MODE: '1', MALLOC_ARENA_MAX: '2' },
  // One font loaded instead of WenQuanYi plus Noto Sans CJK as its fallback (src/print/font.rs).
  'one-font': { CASHDESK_FONT: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc' },
}
const variantNames = opt('variants', 'default').split(',')

const MB = 1024 * 1024

function procStatusKb(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : 0
  } catch {
    return 0
  }
}
function pssKb(pid) {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
    return m ? Number(m[1]) : 0
  } catch {
    return 0
  }
}
function comm(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
  } catch {
    return '?'
  }
}
/** The pids below `root` (children, grandchildren…), from /proc/*\/stat's ppid. */
function descendants(root) {
  const kids = new Map()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (!kids.has(ppid)) kids.set(ppid, [])
      kids.get(ppid).push(Number(d))
    } catch {
      // gone meanwhile
    }
  }
  const out = []
  const todo = [...(kids.get(root) ?? [])]
  while (todo.length > 0) {
    const p = todo.shift()
    out.push(p)
    todo.push(...(kids.get(p) ?? []))
  }
  return out
}
/** RSS and PSS (MB) of the app process and of each process below it, and the totals. */
function memory(appPid) {
  const procs = [appPid, ...descendants(appPid)].map((pid) => ({
    pid,
    name: comm(pid),
    rss: procStatusKb(pid, 'VmRSS') / 1024,
    pss: pssKb(pid) / 1024,
  }))
  const app = procs[0]
  return {
    app_rss: app.rss,
    app_pss: app.pss,
    total_rss: procs.reduce((a, p) => a + p.rss, 0),
    total_pss: procs.reduce((a, p) => a + p.pss, 0),
    procs,
  }
}

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}
function summary(xs) {
  if (xs.length === 0) return { n: 0, p50: null, p95: null, max: null, min: null }
  return { n: xs.length, p50: pct(xs, 50), p95: pct(xs, 95), max: Math.max(...xs), min: Math.min(...xs) }
}

// --- key-to-paint probe -------------------------------------------------------------------------

/**
 * Arm the probe: the next keydown starts the clock; the first DOM change after it that makes
 * `cond` true (see check()) is followed by two animation frames, then the clock stops.
 * cond: { css } present, or { css, text } present with that text.
 */
const ARM = `
const cond = arguments[0];
const check = () => {
  const e = document.querySelector(cond.css);
  return !!e && (cond.text === undefined || e.textContent.trim() === cond.text);
};
const kp = { t0: null, now0: null, t1: null };
window.__kp = kp;
kp.done = new Promise((resolve) => {
  const fire = () => {
    obs.disconnect();
    kp.seen = performance.now();
    requestAnimationFrame(() => requestAnimationFrame(() => { kp.t1 = performance.now(); resolve(); }));
  };
  const obs = new MutationObserver(() => { if (kp.t0 !== null && kp.t1 === null && kp.seen === undefined && check()) fire(); });
  window.addEventListener('keydown', (e) => {
    kp.now0 = performance.now();
    // Event.timeStamp: when the event was made, whatever listeners ran before this one.
    kp.t0 = Math.abs(e.timeStamp - kp.now0) < 60000 ? Math.min(e.timeStamp, kp.now0) : kp.now0;
    obs.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  }, { capture: true, once: true });
});
return true;`
const WAIT = `
const done = arguments[arguments.length - 1];
const kp = window.__kp;
const timer = setTimeout(() => done({ timeout: true, t0: kp.t0 }), 10000);
kp.done.then(() => { clearTimeout(timer); done({ ms: kp.t1 - kp.t0, seen: kp.seen - kp.t0 }); });`

async function timedKey(s, key, cond) {
  await s.exec(ARM, cond)
  await s.keys(key)
  const r = await s.execAsync(WAIT)
  if (r.timeout) throw new Error(`key ${JSON.stringify(key)}: ${JSON.stringify(cond)} not painted within 10 s (keydown seen: ${r.t0 !== null})`)
  return r
}

// --- the runs -----------------------------------------------------------------------------------

async function idle(ms) {
  // A measurement interval ("after 10 s idle"), not a wait for readiness.
  await new Promise((r) => setTimeout(r, ms))
}

async function measureStart(display, root, extraEnv) {
  const app = await startDesktop({ display, root, extraEnv })
  try {
    const s = app.s
    await s.waitFor('login-username', { state: 'visible', timeout: 60_000 })
    const seenAt = await s.exec('return performance.timeOrigin + performance.now()')
    const fcp = await s.exec(
      "const e = performance.getEntriesByType('paint').find((p) => p.name === 'first-contentful-paint'); return e ? performance.timeOrigin + e.startTime : null",
    )
    const start = app.startedAt()
    return { fcp_ms: fcp === null ? null : fcp - start, form_seen_ms: seenAt - start, session_ms: app.sessionMs }
  } finally {
    await app.stop()
  }
}

async function memoryRun(display, root, extraEnv, payments) {
  const app = await startDesktop({ display, root, extraEnv })
  const s = app.s
  try {
    const pid = app.appPid()
    const { token } = await s.api('login', DEMO.supervisor)
    await s.api('set_print_settings', { token, printer: 'counter-test', paper: 'a5' })
    await s.api('logout', { token })
    await login(s, DEMO.cashier)
    if ((await s.count('shift-open')) > 0) await openShift(s)
    await idle(10_000)
    const afterIdle = memory(pid)

    const lat = { search_char: [], enter_card: [], f5_dialog: [], enter_result: [] }
    /** Key to the DOM state (before the frames that paint it), per key: where the time goes. */
    const dom = { search_char: [], enter_card: [], f5_dialog: [], enter_result: [] }
    const timed = async (name, key, cond) => {
      const r = await timedKey(s, key, cond)
      lat[name].push(r.ms)
      dom[name].push(r.seen)
    }
    const t0 = Date.now()
    for (let i = 0; i < payments; i++) {
      await s.keys('F2')
      await s.waitFor('search-input')
      let typed = ''
      for (const c of ARREARS_ACCOUNT) {
        typed += c
        await timed('search_char', c, { css: `[data-hits-for="${typed}"]` })
      }
      await timed('enter_card', 'Enter', { css: '[data-testid="account-no"]', text: ARREARS_ACCOUNT })
      await s.waitFor('key-F5')
      await timed('f5_dialog', 'F5', { css: '[data-testid="payment-dialog"]' })
      await s.fill('pay-amount', '10.00')
      await s.keys('Enter')
      await s.until('实收 has the focus', "return document.activeElement?.getAttribute('data-testid') === 'pay-tendered'")
      await s.keys('F4')
      await timed('enter_result', 'Enter', { css: '[data-testid="payment-result"]' })
      await finishResult(s)
      await s.keys('Escape') // clear the account
      await s.waitFor('account-no', { state: 'detached' })
    }
    const paymentsSeconds = (Date.now() - t0) / 1000
    const afterPayments = memory(pid)
    const sum = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, summary(v)]))
    return { afterIdle, afterPayments, paymentsSeconds, latency: sum(lat), toDom: sum(dom) }
  } finally {
    await app.stop()
  }
}

function fmt(x) {
  return x === null || x === undefined ? '—' : x.toFixed(0)
}
function memLine(label, m) {
  const webkit = m.procs
    .slice(1)
    .map((p) => `${p.name} ${fmt(p.rss)}`)
    .join(', ')
  return `| ${label} | ${fmt(m.app_rss)} | ${fmt(m.total_rss)} | ${fmt(m.app_pss)} | ${fmt(m.total_pss)} | ${webkit} |`
}

async function main() {
  const screen = await startDisplay()
  const results = { app: APP, date: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, mem_gb: totalmem() / 1024 ** 3, variants: {} }
  try {
    for (const name of variantNames) {
      const extraEnv = VARIANTS[name]
      if (!extraEnv) throw new Error(`unknown variant ${name}; known: ${Object.keys(VARIANTS).join(', ')}`)
      const root = mkdtempSync(join(tmpdir(), 'cashdesk-bench-'))
      try {
        await measureStart(screen.display, root, extraEnv) // seeds the demo database; not counted
        const starts = []
        for (let i = 0; i < STARTS; i++) starts.push(await measureStart(screen.display, root, extraEnv))
        const run = await memoryRun(screen.display, root, extraEnv, PAYMENTS)
        results.variants[name] = { env: extraEnv, starts, ...run }
        console.error(`bench-desktop: ${name} done`)
      } finally {
        rmSync(root, { recursive: true, force: true })
      }
    }
  } finally {
    await screen.stop()
  }
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(results, null, 2))

  // A Markdown summary for docs/desktop-bench.md.
  const out = []
  out.push(`app: ${results.app}; ${results.cpus} × ${results.cpu}, ${results.mem_gb.toFixed(0)} GB; ${results.date}`)
  out.push('')
  out.push('| variant | start → first paint (ms), each start | start → form seen by WebDriver (ms) |')
  out.push('|---|---|---|')
  for (const [name, v] of Object.entries(results.variants)) {
    out.push(`| ${name} | ${v.starts.map((x) => fmt(x.fcp_ms)).join(', ')} | ${v.starts.map((x) => fmt(x.form_seen_ms)).join(', ')} |`)
  }
  out.push('')
  out.push('| variant, moment | app RSS (MB) | all RSS (MB) | app PSS (MB) | all PSS (MB) | each child\'s RSS (MB) |')
  out.push('|---|---|---|---|---|---|')
  for (const [name, v] of Object.entries(results.variants)) {
    out.push(memLine(`${name}, 10 s idle`, v.afterIdle))
    if (PAYMENTS > 0) out.push(memLine(`${name}, after ${PAYMENTS} payments`, v.afterPayments))
  }
  out.push('')
  out.push('| variant | key | samples | key-to-paint p50 (ms) | p95 (ms) | max (ms) | key-to-DOM p50 (ms) | p95 (ms) |')
  out.push('|---|---|---|---|---|---|---|---|')
  for (const [name, v] of Object.entries(results.variants)) {
    for (const [k, l] of Object.entries(v.latency)) {
      const d = v.toDom[k]
      if (l.n > 0) out.push(`| ${name} | ${k} | ${l.n} | ${fmt(l.p50)} | ${fmt(l.p95)} | ${fmt(l.max)} | ${fmt(d.p50)} | ${fmt(d.p95)} |`)
    }
  }
  out.push('')
  out.push(`(${PAYMENTS} payments keyed in ${Object.values(results.variants).map((v) => v.paymentsSeconds.toFixed(0) + ' s').join(', ')})`)
  console.log(out.join('\n'))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})

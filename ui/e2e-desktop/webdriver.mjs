// A minimal W3C WebDriver client over fetch: the dozen endpoints the desktop tests use, against
// tauri-driver (which hands them to WebKitWebDriver, which drives the app's WebKitGTK window).
// No client library: webdriverio would add ~100 npm packages for what these few calls do, and a
// failure here names the endpoint and WebKit's own error text.
//
// Waiting is polling (`waitFor`, every 50 ms, bounded), never a sleep.

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf'

/** WebDriver's codes for the keys the counter uses (W3C WebDriver, "Keyboard actions"). */
export const KEY = {
  Backspace: '\uE003',
  Tab: '\uE004',
  Enter: '\uE007',
  Shift: '\uE008',
  Control: '\uE009',
  Alt: '\uE00A',
  Escape: '\uE00C',
  End: '\uE010',
  Home: '\uE011',
  ArrowLeft: '\uE012',
  ArrowUp: '\uE013',
  ArrowRight: '\uE014',
  ArrowDown: '\uE015',
  F1: '\uE031',
  F2: '\uE032',
  F3: '\uE033',
  F4: '\uE034',
  F5: '\uE035',
  F6: '\uE036',
  F7: '\uE037',
  F8: '\uE038',
  F9: '\uE039',
  F10: '\uE03A',
  F11: '\uE03B',
  F12: '\uE03C',
}

export class WebDriverError extends Error {
  constructor(what, status, value) {
    super(`WebDriver ${what}: ${status} ${value?.error ?? ''} ${value?.message ?? JSON.stringify(value)}`)
    this.name = 'WebDriverError'
    this.error = value?.error
  }
}

async function request(base, method, path, body, timeoutMs = 90_000) {
  let r
  try {
    r = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (e) {
    throw new WebDriverError(`${method} ${path}`, 'no answer', { message: `${e.message} (${e.cause?.message ?? ''})` })
  }
  const text = await r.text()
  let parsed
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new WebDriverError(`${method} ${path}`, r.status, { message: text.slice(0, 500) })
  }
  if (!r.ok) throw new WebDriverError(`${method} ${path}`, r.status, parsed.value)
  return parsed.value
}

/**
 * A session on the app at `application` (tauri-driver's `tauri:options`). The app is started by
 * WebKitWebDriver when the session is created and ended when it is deleted.
 */
export async function newSession(driverUrl, application, args = []) {
  const value = await request(driverUrl, 'POST', '/session', {
    capabilities: { alwaysMatch: { 'tauri:options': { application, args } } },
  })
  return new Session(driverUrl, value.sessionId)
}

export class Session {
  constructor(driverUrl, id) {
    this.base = `${driverUrl}/session/${id}`
    this.id = id
    this.driverUrl = driverUrl
  }

  cmd(method, path, body) {
    return request(this.base, method, path, body)
  }

  /** Run `script` (a function body; `arguments` are `args`) in the page; resolves its return value. */
  exec(script, ...args) {
    return this.cmd('POST', '/execute/sync', { script, args })
  }

  /** Run `script` asynchronously: it calls `arguments[arguments.length - 1](value)` when done. */
  execAsync(script, ...args) {
    return this.cmd('POST', '/execute/async', { script, args })
  }

  async find(css) {
    const v = await this.cmd('POST', '/element', { using: 'css selector', value: css })
    return v[ELEMENT]
  }

  /** The element with `data-testid` = `id` (a CSS selector when `id` starts with one of `[.#:`). */
  sel(id) {
    return /^[[.#:]|\s/.test(id) || id.includes('[') ? id : `[data-testid="${id}"]`
  }

  /**
   * Poll until `css` is present (`state: 'attached'`), absent (`'detached'`) or present and
   * shown (`'visible'`); rejects with what it waited for after `timeout` ms.
   */
  async waitFor(id, { state = 'attached', timeout = 20_000 } = {}) {
    const css = this.sel(id)
    const until = Date.now() + timeout
    for (;;) {
      const found = await this.exec(
        `const e = document.querySelector(arguments[0]);
         if (!e) return 'detached';
         const r = e.getBoundingClientRect();
         return r.width > 0 && r.height > 0 ? 'visible' : 'attached'`,
        css,
      )
      if (state === 'detached' ? found === 'detached' : state === 'visible' ? found === 'visible' : found !== 'detached') return
      if (Date.now() > until) throw new Error(`waited ${timeout} ms for ${css} to be ${state}; it is ${found}`)
      await new Promise((r) => setTimeout(r, 50)) // poll interval, not a wait for readiness
    }
  }

  /** Poll until `script` (run in the page) returns a truthy value; resolves that value. */
  async until(what, script, { timeout = 20_000, args = [] } = {}) {
    const until = Date.now() + timeout
    for (;;) {
      const v = await this.exec(script, ...args)
      if (v) return v
      if (Date.now() > until) throw new Error(`not within ${timeout} ms: ${what}`)
      await new Promise((r) => setTimeout(r, 50)) // poll interval
    }
  }

  /** The trimmed text of the first element matching `id` (null when there is none). */
  text(id) {
    return this.exec('const e = document.querySelector(arguments[0]); return e ? e.textContent.trim() : null', this.sel(id))
  }

  /** How many elements match `id`. */
  count(id) {
    return this.exec('return document.querySelectorAll(arguments[0]).length', this.sel(id))
  }

  value(id) {
    return this.exec('const e = document.querySelector(arguments[0]); return e ? e.value : null', this.sel(id))
  }

  attr(id, name) {
    return this.exec('const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null', this.sel(id), name)
  }

  /** The `data-testid` of the focused element. */
  focused() {
    return this.exec("return document.activeElement?.getAttribute('data-testid') ?? null")
  }

  async click(id) {
    const el = await this.find(this.sel(id))
    await this.cmd('POST', `/element/${el}/click`, {})
  }

  /** Clear the field and type `text` into it, as keystrokes. */
  async fill(id, text) {
    const el = await this.find(this.sel(id))
    await this.cmd('POST', `/element/${el}/clear`, {})
    await this.cmd('POST', `/element/${el}/value`, { text })
  }

  /**
   * Press keys on whatever has the focus, as a person does: each entry is a key name of `KEY`
   * (`'F5'`, `'Enter'`) or text typed character by character.
   */
  async keys(...seq) {
    const actions = []
    for (const s of seq) {
      const chars = Object.hasOwn(KEY, s) ? [KEY[s]] : [...s]
      for (const c of chars) actions.push({ type: 'keyDown', value: c }, { type: 'keyUp', value: c })
    }
    await this.cmd('POST', '/actions', { actions: [{ type: 'key', id: 'keyboard', actions }] })
  }

  /** A key with a modifier held, e.g. `chord('Shift', 'F12')`. */
  async chord(modifier, key) {
    const m = KEY[modifier]
    const k = KEY[key] ?? key
    const actions = [
      { type: 'keyDown', value: m },
      { type: 'keyDown', value: k },
      { type: 'keyUp', value: k },
      { type: 'keyUp', value: m },
    ]
    await this.cmd('POST', '/actions', { actions: [{ type: 'key', id: 'keyboard', actions }] })
  }

  /** The window's outer position and size (`GET /window/rect`). */
  windowRect() {
    return this.cmd('GET', '/window/rect')
  }

  /** Resize the window (`POST /window/rect`); resolves the rect the window manager granted. */
  setWindowRect(rect) {
    return this.cmd('POST', '/window/rect', rect)
  }

  /** The window's content as PNG bytes. */
  async screenshot() {
    return Buffer.from(await this.cmd('GET', '/screenshot'), 'base64')
  }

  /**
   * Call a command of the app's core through the window's own Tauri IPC (what the UI's `call()`
   * does): test set-up and cross-checks. Rejects with the ErrorBody's code.
   */
  async api(cmd, req) {
    const r = await this.execAsync(
      `const done = arguments[arguments.length - 1];
       window.__TAURI_INTERNALS__.invoke('call', { cmd: arguments[0], req: arguments[1] })
         .then((ok) => done({ ok }), (err) => done({ err }))`,
      cmd,
      req,
    )
    if (r && 'err' in r) throw Object.assign(new Error(`${cmd}: ${r.err?.code} ${r.err?.message}`), { body: r.err })
    return r?.ok
  }

  async close() {
    await request(this.driverUrl, 'DELETE', `/session/${this.id}`, undefined, 15_000)
  }
}

// The one door to the backend. Inside the desktop app every command goes through Tauri's IPC
// (`invoke('call', { cmd, req })`); in a plain browser (the end-to-end tests, `npm run dev`) the
// same command goes to the HTTP bridge at `POST /api/call/{cmd}`. Both reach the same Rust
// dispatcher, so what the browser tests exercise is what the counter runs. The bridge asks for its
// run's secret on every call (`bridgeSecret`).
import { invoke } from '@tauri-apps/api/core'
import type { Commands } from '@/bindings/Commands'
import type { ErrorBody } from '@/bindings/ErrorBody'

/** A failed call. The UI branches on `code` and translates it; `message` is the server's own text. */
export class ApiError extends Error {
  readonly code: string
  readonly params: Record<string, string>

  constructor(body: ErrorBody) {
    super(body.message)
    this.name = 'ApiError'
    this.code = body.code
    this.params = cleanParams(body.params)
  }
}

function cleanParams(params: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (params && typeof params === 'object') {
    for (const [k, v] of Object.entries(params as Record<string, unknown>)) {
      if (typeof v === 'string') out[k] = v
    }
  }
  return out
}

function isErrorBody(x: unknown): x is ErrorBody {
  return !!x && typeof x === 'object' && typeof (x as { code?: unknown }).code === 'string'
}

/** Turn whatever a call threw into an ApiError (an ErrorBody from Tauri, a network failure…). */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e
  if (isErrorBody(e)) {
    const message = typeof e.message === 'string' ? e.message : ''
    return new ApiError({ code: e.code, message, params: e.params })
  }
  const message = e instanceof Error ? e.message : String(e)
  return new ApiError({ code: 'INTERNAL', message, params: {} })
}

export function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window
}

const SECRET_KEY = 'cashdesk-bridge-secret'

/**
 * The bridge's per-run secret (it prints `OPEN http://127.0.0.1:PORT/#bridge-secret=…`): taken
 * from the address once, kept for the tab in sessionStorage and removed from the address bar.
 * Tests may instead put the header on every request themselves.
 */
export function bridgeSecret(): string | null {
  if (typeof window === 'undefined') return null
  const found = /(?:^#|&)bridge-secret=([0-9a-f]{64})(?:&|$)/.exec(window.location.hash)?.[1]
  if (found) {
    window.sessionStorage.setItem(SECRET_KEY, found)
    window.history.replaceState(null, '', window.location.pathname + window.location.search)
    return found
  }
  return window.sessionStorage.getItem(SECRET_KEY)
}

async function overHttp(cmd: string, req: unknown): Promise<unknown> {
  let res: Response
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  const secret = bridgeSecret()
  if (secret) headers['x-cashdesk-bridge-secret'] = secret
  try {
    res = await fetch('/api/call/' + cmd, {
      method: 'POST',
      headers,
      body: JSON.stringify(req),
    })
  } catch (e) {
    throw new ApiError({ code: 'NETWORK', message: e instanceof Error ? e.message : String(e), params: {} })
  }
  let body: unknown
  try {
    body = await res.json()
  } catch {
    body = undefined
  }
  if (res.ok) return body
  if (isErrorBody(body)) throw toApiError(body)
  throw new ApiError({ code: 'INTERNAL', message: `HTTP ${res.status} ${res.statusText}`.trim(), params: {} })
}

/** Run one backend command. Rejects with an ApiError. */
export async function call<K extends keyof Commands>(cmd: K, req: Commands[K]['req']): Promise<Commands[K]['res']> {
  if (inTauri()) {
    try {
      return await invoke<Commands[K]['res']>('call', { cmd, req })
    } catch (e) {
      throw toApiError(e)
    }
  }
  return (await overHttp(cmd, req)) as Commands[K]['res']
}

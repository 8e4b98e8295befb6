// Money typed at the counter, before the core sees it: the live change (找零), the running total of
// a cash count and the 大写 of an amount while the cashier types. Amounts are exact integers of 分
// (BigInt) and decimal strings, never floats. The core stays the truth: what it answers is shown as
// received; these functions only preview what the cashier is typing, with the core's own rules
// (`Yuan::parse` and `Yuan::words` in src/money.rs), so the preview and the receipt agree.

/** Why a typed amount is refused: the core's codes, translated under `errors.`. */
export type MoneyCode = 'MONEY_EMPTY' | 'MONEY_FORMAT' | 'MONEY_NEGATIVE' | 'MONEY_DECIMALS' | 'MONEY_TOO_LARGE'

export class MoneyInputError extends Error {
  readonly code: MoneyCode
  constructor(code: MoneyCode) {
    super(code)
    this.name = 'MoneyInputError'
    this.code = code
  }
}

/**
 * What a person typed, made plain as the core does before any rule sees it (`src/input.rs`):
 * full-width characters typed with a Chinese input method (全角, U+FF01–U+FF5E) become their
 * half-width forms, the ideographic space a space and the ideographic full stop `。` a point. So
 * `１８８４．２９` and `１８８４。２９` preview as 1884.29, exactly as the core will read them.
 */
export function halfWidth(input: string): string {
  let out = ''
  for (const c of input) {
    const code = c.codePointAt(0)!
    if (code >= 0xff01 && code <= 0xff5e) out += String.fromCodePoint(code - 0xfee0)
    else if (c === '\u3000') out += ' '
    else if (c === '。') out += '.'
    else out += c
  }
  return out
}

/** A typed amount as the core reads it (`input::amount`): half-width, trimmed. */
export function plainAmount(input: string): string {
  return halfWidth(input).replace(/^\s+|\s+$/g, '')
}

/** Most integer digits an amount may have (as the core). */
const MAX_INTEGER_DIGITS = 12

function check(s: string): MoneyCode | null {
  if (s === '') return 'MONEY_EMPTY'
  if (s.startsWith('-')) {
    // Only "negative" when the rest is a number; "-abc" is a format error.
    const rest = check(s.slice(1))
    return rest === null || rest === 'MONEY_DECIMALS' || rest === 'MONEY_TOO_LARGE' ? 'MONEY_NEGATIVE' : 'MONEY_FORMAT'
  }
  const m = /^(\d+)(?:\.(\d+))?$/.exec(s)
  if (!m) return 'MONEY_FORMAT'
  if ((m[2] ?? '').length > 2) return 'MONEY_DECIMALS'
  if (m[1]!.length > MAX_INTEGER_DIGITS) return 'MONEY_TOO_LARGE'
  return null
}

/**
 * Parse an amount as typed: 1–12 digits, optionally a point and 1–2 digits (`12.3`, `12.30`, `0`).
 * Full-width digits and points are read as digits and points, surrounding spaces (of either width)
 * are ignored (`plainAmount`); signs, `¥`, commas, exponents, `.5` and `5.` are refused.
 * Throws a MoneyInputError with the core's code.
 */
export function parseFen(input: string): bigint {
  const s = plainAmount(input)
  const code = check(s)
  if (code !== null) throw new MoneyInputError(code)
  const [integer, fraction = ''] = s.split('.')
  return BigInt(integer!) * 100n + BigInt((fraction + '00').slice(0, 2))
}

/** parseFen without throwing: the 分, or the reason the text is not an amount. */
export function tryParseFen(input: string): { ok: true; fen: bigint } | { ok: false; code: MoneyCode } {
  try {
    return { ok: true, fen: parseFen(input) }
  } catch (e) {
    if (e instanceof MoneyInputError) return { ok: false, code: e.code }
    throw e
  }
}

/** 分 → the core's display form: always two decimals (`12.30`, `0.07`, `-3.00`). */
export function formatFen(fen: bigint): string {
  const negative = fen < 0n
  const abs = negative ? -fen : fen
  const yuan = (abs / 100n).toString()
  const cents = (abs % 100n).toString().padStart(2, '0')
  return `${negative ? '-' : ''}${yuan}.${cents}`
}

/**
 * An amount as every screen shows it, and as paper prints it (`print::money_text`, which adds the
 * ¥): thousands grouped, the decimals as received: `12793.38` → `12,793.38`, `-1234.50` →
 * `-1,234.50`. Text only, never through a number. Anything that is not an amount (`—`, '') is
 * shown as it is.
 */
export function formatAmount(amount: string | null | undefined): string {
  if (amount === null || amount === undefined) return ''
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(amount.trim())
  if (!m) return amount
  const grouped = m[2]!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${m[1]}${grouped}${m[3] ?? ''}`
}

/** a − b of two amounts as typed or received (e.g. 实收 − 应收 = 找零). Throws on a bad amount. */
export function subtract(a: string, b: string): string {
  return formatFen(parseFenSigned(a) - parseFenSigned(b))
}

/** Amounts the core sends may be negative (a 短款 difference); typed ones never are. */
function parseFenSigned(s: string): bigint {
  const t = s.trim()
  return t.startsWith('-') ? -parseFen(t.slice(1)) : parseFen(t)
}

const DIGITS = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'] as const
/** Units of the four positions in a group of four digits (个, 拾, 佰, 仟). */
const POSITION_UNITS = ['', '拾', '佰', '仟'] as const

/** 万 for group 1, 亿 for group 2, 万亿 for group 3, 亿亿 for group 4 (as the core). */
function groupName(group: number): string {
  return (group % 2 === 1 ? '万' : '') + '亿'.repeat(Math.floor(group / 2))
}

function integerWords(integer: bigint): string {
  const digits = integer.toString()
  const len = digits.length
  let out = ''
  let zeroPending = false
  let groupHasDigit = false
  for (let i = 0; i < len; i++) {
    const digit = digits.charCodeAt(i) - 48
    // Position counted from the units digit: 0 = 个, 4 = 万, 8 = 亿.
    const position = len - 1 - i
    if (digit === 0) {
      zeroPending = true // leading digits are never 0: a zero always follows a written digit
    } else {
      if (zeroPending) out += '零'
      zeroPending = false
      out += DIGITS[digit]! + POSITION_UNITS[position % 4]!
      groupHasDigit = true
    }
    if (position > 0 && position % 4 === 0) {
      if (groupHasDigit) out += groupName(position / 4)
      groupHasDigit = false
    }
  }
  return out
}

/**
 * 大写金额 in Cashdesk's one canonical form (DOMAIN.md, Money), the same text the core prints:
 * 1005 → 人民币壹仟零伍元整, 1680.32 → 人民币壹仟陆佰捌拾元零叁角贰分, 0.07 → 人民币柒分.
 * Takes 分 or an amount string (throws on a bad amount).
 */
export function amountWords(amount: bigint | string): string {
  const signed = typeof amount === 'string' ? parseFenSigned(amount) : amount
  const fen = signed < 0n ? -signed : signed
  let out = signed < 0n ? '人民币负' : '人民币'
  const integer = fen / 100n
  const cents = (fen % 100n).toString().padStart(2, '0')
  const jiao = cents.charCodeAt(0) - 48
  const fenDigit = cents.charCodeAt(1) - 48
  if (fen === 0n) return out + '零元整'
  if (integer > 0n) out += integerWords(integer) + '元'
  if (jiao === 0 && fenDigit === 0) return out + '整'
  if (jiao === 0) return out + (integer > 0n ? '零' : '') + DIGITS[fenDigit] + '分'
  if (integer > 0n && integer % 10n === 0n) out += '零'
  out += DIGITS[jiao] + '角'
  return out + (fenDigit === 0 ? '整' : DIGITS[fenDigit] + '分')
}

// Money is a decimal string from the core to the screen. This guards the rule in the source
// itself: no number conversion or float formatting anywhere in the UI code.
import { describe, expect, it } from 'vitest'

const sources = import.meta.glob<string>(['./**/*.ts', './**/*.vue', '!./**/*.test.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
})
const FORBIDDEN = [/\bparseFloat\s*\(/, /\bparseInt\s*\(/, /\bNumber\s*\(/, /\.toFixed\s*\(/, /\bMath\.round\s*\(/]

describe('money stays a string', () => {
  const files = Object.entries(sources)
  it('reads the UI sources', () => expect(files.length).toBeGreaterThan(10))
  it.each(files)('%s converts nothing to a number', (file, text) => {
    for (const re of FORBIDDEN) expect(text, `${file} matches ${re}`).not.toMatch(re)
  })
})

import { MoneyInputError, amountWords, formatFen, halfWidth, parseFen, plainAmount, subtract, tryParseFen } from './money'

describe('money.ts parses like the core', () => {
  it.each([
    ['12.3', 1230n],
    ['12.30', 1230n],
    ['0.01', 1n],
    ['0', 0n],
    [' 500.00 ', 50000n],
    ['999999999999.99', 99999999999999n],
  ])('%s is %s 分', (text, fen) => expect(parseFen(text)).toBe(fen))

  it.each([
    ['12.345', 'MONEY_DECIMALS'],
    ['-1', 'MONEY_NEGATIVE'],
    ['1e3', 'MONEY_FORMAT'],
    ['¥12', 'MONEY_FORMAT'],
    ['12,00', 'MONEY_FORMAT'],
    ['', 'MONEY_EMPTY'],
    ['   ', 'MONEY_EMPTY'],
    ['.5', 'MONEY_FORMAT'],
    ['5.', 'MONEY_FORMAT'],
    ['+5', 'MONEY_FORMAT'],
    ['-abc', 'MONEY_FORMAT'],
    ['1234567890123', 'MONEY_TOO_LARGE'],
  ])('%j is refused with %s', (text, code) => {
    expect(() => parseFen(text)).toThrow(MoneyInputError)
    expect(tryParseFen(text)).toEqual({ ok: false, code })
  })

  it('formats 分 with two decimals', () => {
    expect(formatFen(1230n)).toBe('12.30')
    expect(formatFen(7n)).toBe('0.07')
    expect(formatFen(-300n)).toBe('-3.00')
    expect(formatFen(0n)).toBe('0.00')
  })

  it('subtracts exactly (no float drift)', () => {
    expect(subtract('0.3', '0.1')).toBe('0.20')
    expect(subtract('2000', '1680.32')).toBe('319.68')
    expect(subtract('100.00', '100')).toBe('0.00')
    expect(subtract('1', '1.01')).toBe('-0.01')
    expect(subtract('999999999999.99', '0.01')).toBe('999999999999.98')
  })
})

describe('全角 input is read as the core reads it (src/input.rs)', () => {
  // The same cases as the core's `input::tests::amounts`.
  it.each([
    ['１８８４．２９', '1884.29'],
    ['１８８４。２９', '1884.29'],
    ['\u300012.30\u3000', '12.30'],
    ['-1', '-1'],
    ['－１', '-1'],
    ['1 884.29', '1 884.29'],
    ['0.01', '0.01'],
  ])('%j is typed as %j', (typed, plain) => expect(plainAmount(typed)).toBe(plain))

  it.each([
    ['１８８４．２９', 188429n],
    ['１８８４。２９', 188429n],
    ['２０', 2000n],
    ['\u3000５００\u3000', 50000n],
    ['１２．３', 1230n],
  ])('%j parses to %s 分', (typed, fen) => expect(parseFen(typed)).toBe(fen))

  it.each([
    ['－１', 'MONEY_NEGATIVE'],
    ['1 884.29', 'MONEY_FORMAT'],
    ['１２．３４５', 'MONEY_DECIMALS'],
    ['\u3000', 'MONEY_EMPTY'],
    ['￥１２', 'MONEY_FORMAT'],
  ])('%j is still refused with %s', (typed, code) => expect(tryParseFen(typed)).toEqual({ ok: false, code }))

  it('leaves everything else as typed', () => {
    expect(halfWidth('户号３１００－００００　０１')).toBe('户号3100-0000 01')
    expect(halfWidth('abc')).toBe('abc')
  })
})

describe('大写 matches the core canonical form (DOMAIN.md)', () => {
  it.each([
    ['1005', '人民币壹仟零伍元整'],
    ['1680.32', '人民币壹仟陆佰捌拾元零叁角贰分'],
    ['325.04', '人民币叁佰贰拾伍元零肆分'],
    ['0.07', '人民币柒分'],
    ['1001000021', '人民币壹拾亿零壹佰万零贰拾壹元整'],
    ['10', '人民币壹拾元整'],
    ['0', '人民币零元整'],
    ['107000.53', '人民币壹拾万零柒仟元零伍角叁分'],
    ['1409.50', '人民币壹仟肆佰零玖元伍角整'],
    ['0.40', '人民币肆角整'],
    ['1010000', '人民币壹佰零壹万元整'],
    ['10001000', '人民币壹仟万零壹仟元整'],
    ['107000', '人民币壹拾万零柒仟元整'],
    ['6007.14', '人民币陆仟零柒元壹角肆分'],
    ['16409.02', '人民币壹万陆仟肆佰零玖元零贰分'],
    ['100111.11', '人民币壹拾万零壹佰壹拾壹元壹角壹分'],
  ])('%s → %s', (amount, words) => expect(amountWords(amount)).toBe(words))

  it('takes 分 as well as text', () => expect(amountWords(100500n)).toBe('人民币壹仟零伍元整'))
})

import { formatAmount } from './money'

describe('formatAmount: one format for amounts on screen (and on paper, with ¥)', () => {
  it.each([
    ['12793.38', '12,793.38'],
    ['999.99', '999.99'],
    ['1000.00', '1,000.00'],
    ['0.07', '0.07'],
    ['-1234.50', '-1,234.50'],
    ['999999999999.99', '999,999,999,999.99'],
    ['100000', '100,000'],
    ['—', '—'],
    ['', ''],
  ])('%s is shown as %s', (raw, shown) => expect(formatAmount(raw)).toBe(shown))
  it('shows nothing for a missing amount', () => {
    expect(formatAmount(null)).toBe('')
    expect(formatAmount(undefined)).toBe('')
  })
  it('keeps every digit of an amount no float could hold', () => {
    expect(formatAmount('90071992547409.93')).toBe('90,071,992,547,409.93')
  })
})

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

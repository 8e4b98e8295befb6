/** An instant from the core ("2026-03-01T10:00:00+08:00") as the counter shows it: "2026-03-01 10:00". */
export function formatInstant(at: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(at)
  return m ? `${m[1]} ${m[2]}` : at
}

/** China Standard Time, the province's clock (UTC+8, no daylight saving), in milliseconds. */
const CHINA_OFFSET_MS = 8 * 3600 * 1000

/**
 * An instant from the central ledger as the finance view shows it: in China Standard Time, whatever
 * offset the ledger wrote it with (`…Z` or `…+08:00`), so that the times of one request read alike:
 * "2026-03-01 10:00". Text without an offset (the counter's own local times) is shown as written.
 */
export function formatChinaInstant(at: string): string {
  if (!/(?:Z|[+-]\d{2}:?\d{2})$/i.test(at.trim())) return formatInstant(at)
  const ms = Date.parse(at.trim())
  if (Number.isNaN(ms)) return formatInstant(at)
  return formatInstant(new Date(ms + CHINA_OFFSET_MS).toISOString())
}

/** 账期 "202511" → "2025-11"; anything else is shown as received. */
export function formatPeriod(period: string): string {
  return /^\d{6}$/.test(period) ? `${period.slice(0, 4)}-${period.slice(4)}` : period
}

/** An instant from the core ("2026-03-01T10:00:00+08:00") as the counter shows it: "2026-03-01 10:00". */
export function formatInstant(at: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(at)
  return m ? `${m[1]} ${m[2]}` : at
}

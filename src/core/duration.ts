/** `30s`, `5m`, `2h`, `1d` or plain milliseconds → milliseconds; undefined when it is none of these. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text)
  if (!m) return undefined
  const n = Number(m[1])
  const unit = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h' | 'd']
  const ms = Math.round(n * unit)
  return ms > 0 ? ms : undefined
}

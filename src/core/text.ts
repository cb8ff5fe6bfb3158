/**
 * At most `max` characters of `value`, then a note of how many more there were (`what` says where they did not go).
 * Never splits a surrogate pair.
 */
export function clip(value: string, max: number, what = 'kept'): string {
  if (value.length <= max) return value
  let cut = max
  const last = value.charCodeAt(cut - 1)
  if (last >= 0xd800 && last <= 0xdbff) cut--
  // A slice keeps its whole parent string alive in V8; a copy through a buffer lets a 1 MiB request body go.
  // UTF-8 rather than UTF-16 so that Latin-1 text comes back as a one-byte string, at half the memory.
  const head = Buffer.from(value.slice(0, cut), 'utf8').toString('utf8')
  // ASCII on purpose: one non-Latin-1 character (an ellipsis) would make V8 store the whole string at two bytes a character
  return `${head}...[${value.length - cut} more characters not ${what}]`
}

/** The terminal colour (SGR code) each action is printed in, wherever decisions are shown. */
export const ACTION_COLOR: Readonly<Record<string, number>> = {allow: 32, watch: 36, ask: 33, deny: 31}

/**
 * The pipelines inside a normalised command, at every nesting level: `curl x | sh; true` holds `curl x | sh`, and
 * `echo "$(curl x | sh)"` holds it inside a substitution. Deny/ask/watch rules written for a whole pipeline
 * (`*curl * | sh`) are compared with each of them, so appending `; true` or wrapping the pipeline in `$( )` does not
 * hide it. Only ever adds spellings for restrictive rules, so a surplus segment can only make matching stricter.
 * One pass per nesting level over the analyser's canonical rendering: linear in its length times the depth.
 */
export function pipelineSpellings(normalized: string, limit = 64): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  const visit = (text: string, depth: number) => {
    if (depth > 8 || out.length >= limit) return
    const segments: string[] = []
    const bodies: string[] = []
    let start = 0
    let i = 0
    const n = text.length
    const cut = (end: number, skip: number) => {
      segments.push(text.slice(start, end))
      start = end + skip
      i = start
    }
    while (i < n) {
      const c = text[i]
      if (c === "'") {
        const close = text.indexOf("'", i + 1)
        i = close < 0 ? n : close + 1
      } else if (c === '"') {
        i++
        while (i < n && text[i] !== '"') {
          if (text[i] === '\\') i++
          else if (text[i] === '$' && text[i + 1] === '(') {
            const end = closeParen(text, i + 2)
            bodies.push(text.slice(i + 2, end))
            i = end
          }
          i++
        }
        i++
      } else if (c === '\\') {
        i += 2
      } else if ((c === '$' || c === '<' || c === '>') && text[i + 1] === '(') {
        const end = closeParen(text, i + 2)
        bodies.push(text.slice(i + 2, end))
        i = end + 1
      } else if (c === '`') {
        const close = text.indexOf('`', i + 1)
        const end = close < 0 ? n : close
        bodies.push(text.slice(i + 1, end))
        i = end + 1
      } else if (text.startsWith(' && ', i) || text.startsWith(' || ', i)) {
        cut(i, 4)
      } else if (text.startsWith('; ', i) || text.startsWith(' & ', i)) {
        cut(i, c === ';' ? 2 : 3)
      } else if (c === '\n' || c === ';') {
        cut(i, 1)
      } else {
        i++
      }
    }
    segments.push(text.slice(start))
    for (const seg of segments) {
      const s = seg.trim()
      if (s.includes(' | ') && s !== normalized && !seen.has(s)) {
        seen.add(s)
        out.push(s)
      }
    }
    for (const b of bodies) {
      const s = b.trim()
      if (s && s !== normalized && !seen.has(s)) {
        seen.add(s)
        out.push(s)
      }
      visit(b, depth + 1)
    }
  }
  visit(normalized, 0)
  return out
}

/** Index of the `)` closing a `$(` whose body starts at `from` (quotes and nested parentheses respected). */
function closeParen(text: string, from: number): number {
  let depth = 1
  for (let i = from; i < text.length; i++) {
    const c = text[i]
    if (c === "'") {
      const close = text.indexOf("'", i + 1)
      if (close < 0) return text.length
      i = close
    } else if (c === '\\') {
      i++
    } else if (c === '(') {
      depth++
    } else if (c === ')' && --depth === 0) {
      return i
    }
  }
  return text.length
}

/** An element open at a cut: closed at the end of one part, reopened at the start of the next. */
interface Open {
  kind: 'fence' | 'details';
  /** The line that opened it, repeated to reopen it. */
  line: string;
  /** The fence's backticks or tildes, or `</details>`. */
  close: string;
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const FENCE_CLOSE = /^ {0,3}(`{3,}|~{3,})\s*$/;

/**
 * Splits a Markdown body into parts of at most `limit` characters, cutting at line ends. A code
 * fence or `<details>` open at a cut is closed at the end of the part and reopened at the start of
 * the next, as Atlantis does, so every part renders on its own. A single line longer than a part can
 * hold is cut inside the line.
 */
export function splitMarkdown(body: string, limit: number): string[] {
  if (body.length <= limit) return [body];
  const trailingNewline = body.endsWith('\n');
  const lines = (trailingNewline ? body.slice(0, -1) : body).split('\n');
  const parts: string[] = [];
  let open: Open[] = [];
  let current: string[] = [];
  let used = 0;
  let fresh = true;

  const start = () => {
    current = openers(open);
    used = size(current);
    fresh = true;
  };
  const end = () => parts.push(join([...current, ...closers(open)]));

  for (let line of lines) {
    const next = transition(open, line);
    const reserve = size(closers(next));
    const fitsAPart = size(openers(open)) + size([line]) + reserve <= limit;
    if (used + size([line]) + reserve > limit && fitsAPart && !fresh) {
      end();
      start();
    }
    // A line too long for any part: cut it, keeping the open elements open around each piece.
    while (used + size([line]) + reserve > limit) {
      const room = limit - used - Math.max(reserve, size(closers(open))) - 1;
      if (room < 1) {
        if (fresh)
          throw new RangeError(`splitMarkdown: a limit of ${limit} characters cannot hold the fences and <details> open around a cut`);
        end();
        start();
        continue;
      }
      current.push(line.slice(0, room));
      line = line.slice(room);
      end();
      start();
    }
    current.push(line);
    used += size([line]);
    fresh = false;
    open = next;
  }
  const last = current.join('\n');
  parts.push(trailingNewline ? `${last}\n` : last);
  return parts;
}

function transition(open: Open[], line: string): Open[] {
  const top = open.at(-1);
  if (top?.kind === 'fence') {
    const m = FENCE_CLOSE.exec(line);
    return m && m[1]![0] === top.close[0] && m[1]!.length >= top.close.length ? open.slice(0, -1) : open;
  }
  const fence = FENCE_OPEN.exec(line);
  // A backtick fence's info string may not contain a backtick (else it is inline code).
  if (fence && !(fence[1]![0] === '`' && fence[2]!.includes('`'))) return [...open, { kind: 'fence', line, close: fence[1]! }];
  let net = (line.match(/<details[\s>]/gi) ?? []).length - (line.match(/<\/details\s*>/gi) ?? []).length;
  let next = open;
  for (; net > 0; net--) next = [...next, { kind: 'details', line, close: '</details>' }];
  for (; net < 0 && next.at(-1)?.kind === 'details'; net++) next = next.slice(0, -1);
  return next;
}

function openers(open: readonly Open[]): string[] {
  return open.flatMap((o) => (o.kind === 'fence' ? [o.line] : [o.line, '']));
}

function closers(open: readonly Open[]): string[] {
  return [...open].reverse().flatMap((o) => (o.kind === 'fence' ? [o.close] : ['', o.close]));
}

function size(lines: readonly string[]): number {
  return lines.reduce((n, l) => n + l.length + 1, 0);
}

function join(lines: readonly string[]): string {
  return lines.map((l) => `${l}\n`).join('');
}

/**
 * Text that came from a server, a file or a pull request, made safe for where it is shown: a
 * terminal, the Actions log, a comment or a job summary. Each sink applies the one function for it;
 * the functions are idempotent, so a string cleaned at its source and again at the sink reads the same.
 *
 * Control characters are shown, not dropped: `ESC[2J` becomes the visible text `\u001b[2J`, so a
 * reader sees that a server sent one and no terminal acts on it.
 */

// C0 controls, DEL and C1 controls (0x9b is a one-byte CSI to some terminals), and the invisible and
// bidirectional characters that make text read differently from what it is (Trojan Source):
// soft hyphen, Arabic letter mark, zero-width and direction marks, line and paragraph separators,
// embeddings and overrides, invisible operators and isolates, and the byte-order mark.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
// The same, but tab and newline stay: for sinks that show several lines.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_MULTILINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const visible = (ch: string) => SHORT[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Several lines of untrusted text: every control character but `\n` and `\t` shown escaped; `\r\n` read as `\n`. */
export function sanitizeText(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(CONTROL_MULTILINE, visible);
}

/** One line of untrusted text: every control character shown escaped, newlines and tabs included. */
export function oneLine(text: string): string {
  return text.replace(CONTROL, visible);
}

// Select Graphic Rendition codes groq-rbac's own styles use (reset, bold, dim, red, green, yellow,
// cyan: src/cli/io.ts makeStyle); none can move the cursor, clear the screen, link or hide text.
// eslint-disable-next-line no-control-regex -- matching the escape character is the point
const OWN_STYLE = /\u001b\[(?:0|1|2|31|32|33|36)m/g;

/**
 * What the CLI writes to a terminal (or a file standing in for one): like `commandSafe` (the CLI
 * also runs in Actions steps, whose runner reads its stdout and stderr for workflow commands), but
 * groq-rbac's own colours pass. A server's `ESC[2J`, OSC-8 link or `\r` does not.
 */
export function terminalText(text: string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(OWN_STYLE)) {
    out += commandSafe(text.slice(last, m.index)) + m[0];
    last = m.index + m[0].length;
  }
  return last === 0 ? commandSafe(text) : out + commandSafe(text.slice(last));
}

/**
 * Text for a line-oriented log that the GitHub Actions runner reads for workflow commands (what
 * `core.info` writes). The runner takes a line as a command when, after leading white space, it
 * starts with `::` (ActionCommand.TryParseV2), and also when `##[` appears anywhere in it (the
 * legacy ActionCommand.TryParse, which ActionCommandManager still falls back to): see
 * actions/runner src/Runner.Common/ActionCommand.cs and src/Runner.Worker/ActionCommandManager.cs.
 * So a server's `\n::stop-commands::x` would switch off every later `::add-mask::`. Each line of
 * the text is cleaned, a leading `::` (after any white space: the runner's TrimStart takes Unicode
 * spaces too) is written `\::`, and `##[` is written `#\#[`.
 * (`core.debug`, `core.warning` and `core.error` need only `sanitizeText`: @actions/core escapes
 * `%`, `\r` and `\n` in their message, so it stays on the command's own line.)
 */
export function commandSafe(text: string): string {
  return sanitizeText(text)
    .replace(/^([^\S\n]*)::/gm, '$1\\::')
    .replace(/##\[/g, '#\\#[');
}

// Characters that start emphasis, code, links, tables, HTML (comments too), entities, mentions,
// strikethrough and math in GitHub Markdown; a backslash makes each literal (CommonMark: any ASCII
// punctuation may be backslash-escaped).
const MARKDOWN_SPECIAL = /[\\`*_[\]<>|~&@$]/g;
// At the start of a line these make a heading, a list, a quote or a setext underline.
const LINE_START = /^([ \t]*)([#>+=-])/gm;

/**
 * Untrusted text inside Markdown that groq-rbac writes (a comment, an issue, a job summary): it
 * shows as the text it is, never as markup, a link, an image, HTML or a mention. Control characters
 * are escaped as by `sanitizeText`. With `multiLine: false` (the default, for table cells and list
 * items) newlines become spaces. Apply once, to the raw text: escaping escaped text doubles the
 * backslashes. Redact before escaping: an escaped `gsk\_…` no longer looks like a key value.
 */
export function escapeMarkdown(text: string, options: { multiLine?: boolean } = {}): string {
  const lines = options.multiLine ? sanitizeText(text) : sanitizeText(text).replace(/\n/g, ' ');
  return lines.replace(MARKDOWN_SPECIAL, (ch) => `\\${ch}`).replace(LINE_START, '$1\\$2');
}

/**
 * Splits a command line into words the way a shell would for plain commands: whitespace,
 * '…' and "…" quoting, backslash escapes and `# comments`. Nothing is expanded or run, so
 * shell syntax that would need a shell ($VAR, pipes, redirections, `;`, `&&`) is an error.
 */

export interface Token {
  text: string;
  /** Offset of the word's first character in the command text. */
  offset: number;
}

export type Tokenized = { ok: true; tokens: Token[] } | { ok: false; error: string; offset: number };

const SHELL_ONLY = new Set(['$', '`', ';', '|', '&', '<', '>', '(', ')']);

export function tokenize(text: string): Tokenized {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') break;
    const start = i;
    let word = '';
    while (i < text.length && !/\s/.test(text[i])) {
      const ch = text[i];
      if (ch === "'") {
        const end = text.indexOf("'", i + 1);
        if (end < 0) return { ok: false, error: 'unterminated single quote', offset: i };
        word += text.slice(i + 1, end);
        i = end + 1;
      } else if (ch === '"') {
        let j = i + 1;
        while (j < text.length && text[j] !== '"') {
          if (text[j] === '$' || text[j] === '`') return { ok: false, error: `"${text[j]}" would need a shell: chainlab parses commands, it does not run them (no variables or substitutions)`, offset: j };
          if (text[j] === '\\' && j + 1 < text.length) j++;
          word += text[j];
          j++;
        }
        if (j >= text.length) return { ok: false, error: 'unterminated double quote', offset: i };
        i = j + 1;
      } else if (ch === '\\') {
        if (i + 1 < text.length) word += text[i + 1];
        i += 2;
      } else if (SHELL_ONLY.has(ch)) {
        return { ok: false, error: `"${ch}" would need a shell: chainlab parses commands, it does not run them (one command per step; no variables, pipes or redirections)`, offset: i };
      } else {
        word += ch;
        i++;
      }
    }
    tokens.push({ text: word, offset: start });
  }
  return { ok: true, tokens };
}

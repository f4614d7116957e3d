/** A cursor over a command's words, with errors that point at the offending word. */
import type { Token } from './tokenize.ts';

export class CommandSyntaxError extends Error {
  constructor(
    message: string,
    /** Offset in the command text. */
    readonly offset: number,
  ) {
    super(message);
  }
}

export class Args {
  private i = 0;

  constructor(
    readonly tokens: readonly Token[],
    /** Offset just past the command's end, for "missing …" errors. */
    private readonly endOffset: number,
  ) {}

  get done(): boolean {
    return this.i >= this.tokens.length;
  }

  peek(): Token | undefined {
    return this.tokens[this.i];
  }

  /** The next word; `what` says what was expected if there is none. */
  next(what: string): Token {
    const t = this.tokens[this.i];
    if (!t) {
      const prev = this.tokens[this.i - 1];
      throw new CommandSyntaxError(`expected ${what}${prev ? ` after "${prev.text}"` : ''}`, prev ? prev.offset : this.endOffset);
    }
    this.i++;
    return t;
  }

  /** Consumes the next word if it is one of `words`. */
  accept(...words: string[]): Token | undefined {
    const t = this.tokens[this.i];
    if (t && words.includes(t.text)) {
      this.i++;
      return t;
    }
    return undefined;
  }

  rest(): Token[] {
    const r = this.tokens.slice(this.i);
    this.i = this.tokens.length;
    return r;
  }
}

export function fail(t: Token, message: string): never {
  throw new CommandSyntaxError(message, t.offset);
}

/** An unsigned integer as iproute2's get_unsigned() reads it (decimal, 0x hex or 0 octal). */
export function uint(t: Token, what: string, max = 0xffffffff): number {
  let v: number;
  if (/^0x[0-9a-f]+$/i.test(t.text)) v = parseInt(t.text.slice(2), 16);
  else if (/^0[0-7]+$/.test(t.text)) v = parseInt(t.text.slice(1), 8);
  else if (/^(0|[1-9][0-9]*)$/.test(t.text)) v = Number(t.text);
  else fail(t, `expected ${what}, got "${t.text}"`);
  if (v > max) fail(t, `${what} must be at most ${max}, got ${t.text}`);
  return v;
}

/**
 * iproute2's matches(): the word is a non-empty prefix of the keyword. `table` is in
 * iproute2's order, so "a" means "address" and "l" means "link", as they do there.
 */
export function matchWord(word: string, table: readonly string[]): string | undefined {
  if (word === '') return undefined;
  return table.find((k) => k.startsWith(word));
}

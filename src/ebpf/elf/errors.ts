/**
 * Loader errors. Like libbpf's pr_warn() lines and cilium/ebpf's wrapped errors, a message
 * names the file, the loader step, then the section/symbol at fault:
 *   "xdp_lb.o: load relocations: .relxdp entry 3: symbol 'foo' not found"
 */

/** Where in the object a problem is; the fields are also spelled out in the message. */
export interface LoadErrorContext {
  section?: string;
  symbol?: string;
}

export class LoadError extends Error {
  readonly file: string;
  readonly step: string;
  readonly detail: string;
  readonly section?: string;
  readonly symbol?: string;

  constructor(file: string, step: string, detail: string, ctx: LoadErrorContext = {}, options?: { cause?: unknown }) {
    super(`${file}: ${step}: ${detail}`, options);
    this.name = 'LoadError';
    this.file = file;
    this.step = step;
    this.detail = detail;
    if (ctx.section !== undefined) this.section = ctx.section;
    if (ctx.symbol !== undefined) this.symbol = ctx.symbol;
  }
}

/**
 * Thrown inside the pipeline, where the file name is not known; `loadObject` turns it into a
 * LoadError. `step` may be left out when the enclosing step is the right one.
 */
export class LoadFailure extends Error {
  constructor(
    readonly detail: string,
    readonly ctx: LoadErrorContext = {},
    readonly step?: string,
  ) {
    super(detail);
    this.name = 'LoadFailure';
  }
}

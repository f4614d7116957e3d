/**
 * The C source text behind a trace's "file.c:42": an index over the line info (BTF .BTF.ext) of
 * every program in the loaded objects, keyed the way the datapath writes ProgStep.line.
 */
import type { LoadedObject } from '../ebpf/runtime/runtime.ts';

export class SourceLines {
  private readonly byLine = new Map<string, string>();

  constructor(objects: Iterable<LoadedObject>) {
    for (const o of objects) {
      for (const p of o.spec.programs) {
        for (const li of p.lineInfo) {
          if (!li.line) continue;
          const k = `${li.file.replace(/^\.\//, '')}:${li.line}`;
          if (!this.byLine.has(k)) this.byLine.set(k, li.text.trim());
        }
      }
    }
  }

  /** Source text of "file.c:42", if some program's line info has it. */
  text(line: string | undefined): string | undefined {
    return line === undefined ? undefined : this.byLine.get(line);
  }
}

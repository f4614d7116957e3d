/**
 * File sinks for trace records. Writes are synchronous and buffered: the event loop is
 * synchronous too, so a file gets records in exactly the order they happened (byte-identical for
 * the same scenario and seed), and memory stays bounded by the buffer size.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { TraceRecord } from './records.ts';

export class JsonlSink {
  private readonly fd: number;
  private buf: string[] = [];
  private size = 0;
  records = 0;

  constructor(
    readonly path: string,
    private readonly flushBytes = 1 << 20,
  ) {
    this.fd = openSync(path, 'w');
  }

  write(r: TraceRecord): void {
    const line = JSON.stringify(r) + '\n';
    this.buf.push(line);
    this.size += line.length;
    this.records++;
    if (this.size >= this.flushBytes) this.flush();
  }

  flush(): void {
    if (this.buf.length === 0) return;
    writeSync(this.fd, this.buf.join(''));
    this.buf = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

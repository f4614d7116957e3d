/**
 * A bpffs namespace (/sys/fs/bpf) per simulation: pinned maps and programs by path, shared by
 * every object loaded into the same runtime. Models BPF_OBJ_PIN / BPF_OBJ_GET and libbpf's
 * LIBBPF_PIN_BY_NAME convention (maps pinned at <root>/<map name>).
 */
export const BPFFS_ROOT = '/sys/fs/bpf';

export type Pinned = { kind: 'map'; obj: unknown } | { kind: 'prog'; obj: unknown };

export class Bpffs {
  private readonly pins = new Map<string, Pinned>();

  /** Normalise a path under the bpffs root; refuses paths outside it as the kernel would (-EPERM on other fs). */
  static normalise(path: string): string {
    const p = path.startsWith('/') ? path : `${BPFFS_ROOT}/${path}`;
    const parts: string[] = [];
    for (const s of p.split('/')) {
      if (s === '' || s === '.') continue;
      if (s === '..') parts.pop();
      else parts.push(s);
    }
    const norm = '/' + parts.join('/');
    if (!norm.startsWith(BPFFS_ROOT + '/')) throw new Error(`${path}: not under ${BPFFS_ROOT} (pin paths must be on a bpffs mount)`);
    return norm;
  }

  /** BPF_OBJ_PIN: fails with EEXIST when the path is taken. */
  pin(path: string, p: Pinned): void {
    const n = Bpffs.normalise(path);
    if (this.pins.has(n)) throw new Error(`${n}: pin failed: File exists`);
    this.pins.set(n, p);
  }

  get(path: string): Pinned | undefined {
    return this.pins.get(Bpffs.normalise(path));
  }

  unpin(path: string): boolean {
    return this.pins.delete(Bpffs.normalise(path));
  }

  list(): [string, Pinned][] {
    return [...this.pins.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

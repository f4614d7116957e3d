/// <reference lib="dom" />
/**
 * The live map viewer and editor, per object and map, like `bpftool map dump` / `update` /
 * `delete`: entries in hex with their unsigned reading (per-CPU values per CPU and summed),
 * refreshed every second, and a form that writes an entry at the next event of the simulation.
 */
import { select, type Selection } from 'd3';
import { api } from './api.ts';
import { spacedHex, uintToHexLE } from './format.ts';
import type { MapDump, MapEntryJson, MapInfo } from './protocol.ts';

type Div = Selection<HTMLDivElement, unknown, null, undefined>;

const REFRESH_MS = 1000;

function valueText(e: MapEntryJson): string {
  if (e.values) return e.values.map((v, i) => `cpu${i}: ${spacedHex(v)}`).join('\n');
  return spacedHex(e.value ?? '');
}

function drawDump(table: Selection<HTMLTableElement, unknown, null, undefined>, d: MapDump, onPick: (e: MapEntryJson) => void, onDelete: (e: MapEntryJson) => void): void {
  const row = table
    .select('tbody')
    .selectAll<HTMLTableRowElement, MapEntryJson>('tr')
    .data(d.entries, (e) => e.key)
    .join((enter) => {
      const tr = enter.append('tr');
      tr.append('td').attr('class', 'key');
      tr.append('td').attr('class', 'value');
      tr.append('td').attr('class', 'num');
      const act = tr.append('td').attr('class', 'actions');
      act.append('button').attr('class', 'pick').text('edit');
      act.append('button').attr('class', 'del').text('delete');
      return tr;
    })
    .attr('data-key', (e) => e.key);
  row.select('td.key').text((e) => `${spacedHex(e.key)}${e.keyNum !== undefined ? `  (${e.keyNum})` : ''}`);
  row.select('td.value').text(valueText);
  row.select('td.num').text((e) => (e.valueNum !== undefined ? `${e.valueNum}${e.values ? ' Σ' : ''}` : ''));
  row.select('button.pick').on('click', (_ev, e) => onPick(e));
  row.select('button.del').on('click', (_ev, e) => onDelete(e));
}

export class MapsPanel {
  private maps: MapInfo[] = [];
  private current: MapInfo | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly root: Div;

  constructor(el: HTMLDivElement) {
    this.root = select(el);
    this.root.select('#map-select').on('change', (ev: Event) => this.choose((ev.target as HTMLSelectElement).value));
    this.root.select('#map-edit').on('submit', (ev: Event) => {
      ev.preventDefault();
      void this.submit();
    });
  }

  async load(): Promise<void> {
    this.maps = await api.maps();
    this.root
      .select('#map-select')
      .selectAll<HTMLOptionElement, MapInfo>('option')
      .data(this.maps, (m) => `${m.object}/${m.name}`)
      .join('option')
      .attr('value', (m) => `${m.object}/${m.name}`)
      .text((m) => `${m.object} › ${m.name} (${m.type.replace('BPF_MAP_TYPE_', '').toLowerCase()}, key ${m.keySize} B, value ${m.valueSize} B)`);
    if (this.maps.length > 0) this.choose(`${this.maps[0].object}/${this.maps[0].name}`);
    else this.status('no maps in this scenario');
  }

  /** Show the first map of the object that holds one of these programs; false if none has maps. */
  chooseForPrograms(progs: readonly string[]): boolean {
    const names = progs.map((p) => p.replace(/ \((generic|cpu \d+)\)$/, ''));
    const m = this.maps.find((x) => x.programs.some((p) => names.includes(p)));
    if (m) this.choose(`${m.object}/${m.name}`);
    return m !== undefined;
  }

  choose(id: string): void {
    this.current = this.maps.find((m) => `${m.object}/${m.name}` === id);
    (this.root.select('#map-select').node() as HTMLSelectElement).value = id;
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    void this.refresh();
  }

  async refresh(): Promise<void> {
    const m = this.current;
    if (!m) return;
    try {
      const d = await api.map(m.object, m.name);
      this.root.select('.map-meta').text(`id ${d.id} · ${d.type} · max_entries ${d.maxEntries} · ${d.entries.length} entries · used by ${d.programs.join(', ')}${d.note ? ` · ${d.note}` : ''}`);
      drawDump(this.root.select('table.map-dump'), d, (e) => this.pick(e), (e) => void this.remove(e));
    } catch (e) {
      this.status((e as Error).message);
    }
  }

  private input(name: string): HTMLInputElement | HTMLSelectElement {
    return this.root.select(`#map-edit [name="${name}"]`).node() as HTMLInputElement;
  }

  private pick(e: MapEntryJson): void {
    const m = this.current;
    const small = m !== undefined && m.valueSize <= 8;
    this.input('key').value = e.keyNum ?? e.key;
    this.input('keyFormat').value = e.keyNum !== undefined ? 'uint' : 'hex';
    this.input('value').value = small && e.values === undefined ? (e.valueNum ?? '') : (e.value ?? e.values?.[0] ?? '');
    this.input('valueFormat').value = small && e.values === undefined ? 'uint' : 'hex';
  }

  private bytes(field: 'key' | 'value', size: number): string {
    const text = this.input(field).value.trim();
    return this.input(`${field}Format`).value === 'uint' ? uintToHexLE(text, size) : text.replace(/\s+/g, '');
  }

  private async submit(): Promise<void> {
    const m = this.current;
    if (!m) return;
    try {
      const r = await api.putEntry(m.object, m.name, this.bytes('key', m.keySize), { value: this.bytes('value', m.valueSize) });
      this.status(r.applied ? (r.err ? `update failed: errno ${-(r.err ?? 0)}` : 'updated') : 'scheduled: applies at the next event (play or step)');
      await this.refresh();
    } catch (e) {
      this.status((e as Error).message);
    }
  }

  private async remove(e: MapEntryJson): Promise<void> {
    const m = this.current;
    if (!m) return;
    try {
      const r = await api.deleteEntry(m.object, m.name, e.key);
      this.status(r.applied ? (r.err ? `delete failed: errno ${-(r.err ?? 0)}` : 'deleted') : 'scheduled: applies at the next event (play or step)');
      await this.refresh();
    } catch (err) {
      this.status((err as Error).message);
    }
  }

  private status(text: string): void {
    this.root.select('.map-status').text(text);
  }
}

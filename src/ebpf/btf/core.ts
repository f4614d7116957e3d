/**
 * CO-RE relocations (models libbpf's relo_core.c: bpf_core_parse_spec() and
 * bpf_core_calc_field_relo()), resolved against the object's own BTF.
 *
 * Why the object's own BTF: chainlab has no running kernel to match against, and the
 * networking programs it runs use CO-RE on uapi structs (ethhdr, iphdr, __sk_buff...) whose
 * layout is ABI — local and target layouts are the same. So only the field relocations
 * whose answer follows from the local layout are supported: FIELD_BYTE_OFFSET,
 * FIELD_BYTE_SIZE and FIELD_EXISTS, on non-bitfield members. Everything else (type ids,
 * type/enum existence, bitfield shifts) depends on a kernel's BTF and is refused by name.
 */
import { resolveType, sizeOf, typeName } from './query.ts';
import { BtfError, type Btf, type CoreRelo } from './types.ts';

/** enum bpf_core_relo_kind, in order. */
export const CORE_RELO_KINDS = [
  'FIELD_BYTE_OFFSET',
  'FIELD_BYTE_SIZE',
  'FIELD_EXISTS',
  'FIELD_SIGNED',
  'FIELD_LSHIFT_U64',
  'FIELD_RSHIFT_U64',
  'TYPE_ID_LOCAL',
  'TYPE_ID_TARGET',
  'TYPE_EXISTS',
  'TYPE_SIZE',
  'ENUMVAL_EXISTS',
  'ENUMVAL_VALUE',
  'TYPE_MATCHES',
] as const;

export const BPF_CORE_FIELD_BYTE_OFFSET = 0;
export const BPF_CORE_FIELD_BYTE_SIZE = 1;
export const BPF_CORE_FIELD_EXISTS = 2;

export function coreKindName(kind: number): string {
  return CORE_RELO_KINDS[kind] ?? `kind ${kind}`;
}

export class CoreReloError extends BtfError {
  constructor(message: string) {
    super(message);
    this.name = 'CoreReloError';
  }
}

export interface CoreFieldResult {
  /** The value the instruction must hold. */
  value: number;
  /** The accessed field, spelled like bpftool: "struct iphdr___core::daddr". */
  field: string;
}

/** "FIELD_SIGNED on struct iphdr___core, access 0:1" — for messages. */
export function describeCoreRelo(btf: Btf, relo: CoreRelo): string {
  return `${coreKindName(relo.kind)} (kind ${relo.kind}) on ${typeName(btf, relo.typeId)} [${relo.typeId}], access "${relo.access}"`;
}

/** Resolve one CO-RE relocation against `btf`, or throw a CoreReloError naming it. */
export function resolveCoreRelo(btf: Btf, relo: CoreRelo): CoreFieldResult {
  const desc = describeCoreRelo(btf, relo);
  if (relo.kind > BPF_CORE_FIELD_EXISTS) {
    throw new CoreReloError(
      `${desc}: not supported — chainlab resolves only FIELD_BYTE_OFFSET, FIELD_BYTE_SIZE and FIELD_EXISTS against the object's own BTF`,
    );
  }
  const idx = relo.access.split(':').map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  if (idx.length === 0 || idx.some((n) => Number.isNaN(n))) throw new CoreReloError(`${desc}: malformed access string`);
  if (relo.typeId === 0 || relo.typeId >= btf.types.length) throw new CoreReloError(`${desc}: bad root type id`);

  // The first index steps over whole root objects, as in ptr[idx].
  let cur = relo.typeId;
  let bitOff = idx[0] * sizeOf(btf, cur) * 8;
  let bitfield = 0;
  let field = typeName(btf, cur);
  for (let i = 1; i < idx.length; i++) {
    const t = resolveType(btf, cur);
    const k = idx[i];
    if (t.kind === 'STRUCT' || t.kind === 'UNION') {
      const m = t.members[k];
      if (!m) throw new CoreReloError(`${desc}: ${typeName(btf, t.id)} has no member #${k}`);
      bitOff += m.bitOffset;
      bitfield = m.bitfieldSize;
      cur = m.type;
      field += m.name ? `::${m.name}` : `::#${k}`;
    } else if (t.kind === 'ARRAY') {
      if (k >= t.nelems && t.nelems !== 0) throw new CoreReloError(`${desc}: index ${k} is outside ${typeName(btf, t.id)}`);
      bitOff += k * sizeOf(btf, t.type) * 8;
      bitfield = 0;
      cur = t.type;
      field += `[${k}]`;
    } else {
      throw new CoreReloError(`${desc}: access step #${i} goes into ${typeName(btf, t.id)}, which has no members`);
    }
  }
  if (relo.kind === BPF_CORE_FIELD_EXISTS) return { value: 1, field };
  if (idx.length === 1) throw new CoreReloError(`${desc}: a field relocation needs a member access`);
  if (bitfield !== 0 || bitOff % 8 !== 0) {
    throw new CoreReloError(`${desc}: ${field} is a bitfield; bitfield relocations are not supported`);
  }
  if (relo.kind === BPF_CORE_FIELD_BYTE_OFFSET) return { value: bitOff / 8, field };
  return { value: sizeOf(btf, cur), field };
}

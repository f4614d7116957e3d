/**
 * Questions asked of a parsed BTF: skip modifiers, sizes, C-like names (the subset of
 * libbpf's btf__resolve_type()/btf__resolve_size() and bpftool's type printer we need).
 */
import { BtfError, type Btf, type BtfType } from './types.ts';

const MAX_CHAIN = 32; // the kernel's MAX_RESOLVE_DEPTH

export function typeById(btf: Btf, id: number): BtfType {
  const t = btf.types[id];
  if (!t) throw new BtfError(`BTF type [${id}] does not exist (${btf.types.length} types)`);
  return t;
}

/** Follow TYPEDEF, CONST, VOLATILE, RESTRICT and TYPE_TAG to the underlying type. */
export function resolveType(btf: Btf, id: number): BtfType {
  let t = typeById(btf, id);
  for (let i = 0; i < MAX_CHAIN; i++) {
    switch (t.kind) {
      case 'TYPEDEF':
      case 'CONST':
      case 'VOLATILE':
      case 'RESTRICT':
      case 'TYPE_TAG':
        t = typeById(btf, t.type);
        continue;
      default:
        return t;
    }
  }
  throw new BtfError(`BTF type [${id}]: modifier chain longer than ${MAX_CHAIN} (a loop?)`);
}

/** Size in bytes of a type, as sizeof() would give it. */
export function sizeOf(btf: Btf, id: number): number {
  let t = typeById(btf, id);
  let mult = 1;
  for (let i = 0; i < MAX_CHAIN; i++) {
    switch (t.kind) {
      case 'INT':
      case 'STRUCT':
      case 'UNION':
      case 'ENUM':
      case 'ENUM64':
      case 'DATASEC':
      case 'FLOAT':
        return mult * t.size;
      case 'PTR':
        return mult * 8;
      case 'ARRAY':
        mult *= t.nelems;
        t = typeById(btf, t.type);
        continue;
      case 'TYPEDEF':
      case 'CONST':
      case 'VOLATILE':
      case 'RESTRICT':
      case 'TYPE_TAG':
      case 'VAR':
        t = typeById(btf, t.type);
        continue;
      default:
        throw new BtfError(`BTF type [${t.id}] ${t.kind} '${t.name}' has no size`);
    }
  }
  throw new BtfError(`BTF type [${id}]: type chain longer than ${MAX_CHAIN} (a loop?)`);
}

/** A short C-like spelling of a type, for messages: "struct iphdr", "__u32 *", "int[4]". */
export function typeName(btf: Btf, id: number, depth = 0): string {
  const t = btf.types[id];
  if (!t) return `<bad type ${id}>`;
  if (depth > 8) return '...';
  switch (t.kind) {
    case 'VOID':
      return 'void';
    case 'STRUCT':
    case 'UNION':
      return `${t.kind.toLowerCase()} ${t.name || '(anon)'}`;
    case 'ENUM':
    case 'ENUM64':
      return `enum ${t.name || '(anon)'}`;
    case 'FWD':
      return `${t.fwdKind} ${t.name}`;
    case 'PTR':
      return `${typeName(btf, t.type, depth + 1)} *`;
    case 'CONST':
      return `const ${typeName(btf, t.type, depth + 1)}`;
    case 'VOLATILE':
      return `volatile ${typeName(btf, t.type, depth + 1)}`;
    case 'RESTRICT':
      return `${typeName(btf, t.type, depth + 1)} restrict`;
    case 'TYPE_TAG':
      return `${typeName(btf, t.type, depth + 1)} __tag(${t.name})`;
    case 'ARRAY':
      return `${typeName(btf, t.type, depth + 1)}[${t.nelems}]`;
    case 'FUNC_PROTO':
      return `${typeName(btf, t.returnType, depth + 1)} (${t.params.map((p) => (p.type === 0 ? '...' : typeName(btf, p.type, depth + 1))).join(', ')})`;
    default:
      return t.name || `(anon ${t.kind})`;
  }
}

/** The first type of a kind with a name, or undefined. */
export function findType(btf: Btf, kind: BtfType['kind'], name: string): BtfType | undefined {
  return btf.types.find((t) => t.kind === kind && t.name === name);
}

/**
 * BTF type model (Linux include/uapi/linux/btf.h, Documentation/bpf/btf.rst).
 *
 * Types are plain data: a `Btf` is an array indexed by type id (id 0 is `void`), every
 * reference is a type id, and names are resolved strings. ENUM64 values are decimal strings
 * so that the whole structure stays JSON-serialisable.
 */

export const BTF_MAGIC = 0xeb9f;

/** Kind names in kind-number order (BTF_KIND_*). */
export const BTF_KINDS = [
  'UNKN',
  'INT',
  'PTR',
  'ARRAY',
  'STRUCT',
  'UNION',
  'ENUM',
  'FWD',
  'TYPEDEF',
  'VOLATILE',
  'CONST',
  'RESTRICT',
  'FUNC',
  'FUNC_PROTO',
  'VAR',
  'DATASEC',
  'FLOAT',
  'DECL_TAG',
  'TYPE_TAG',
  'ENUM64',
] as const;

export type BtfKindName = (typeof BTF_KINDS)[number];

export type Linkage = 'static' | 'global' | 'extern';

interface Base {
  /** Type id: the index in `Btf.types`. */
  id: number;
  /** '' for anonymous types. */
  name: string;
}

export interface BtfVoid extends Base {
  kind: 'VOID';
}
export interface BtfInt extends Base {
  kind: 'INT';
  size: number;
  encoding: 'none' | 'signed' | 'char' | 'bool';
  /** BTF_INT_OFFSET: bit offset of the value inside `size` bytes (0 for clang output). */
  bitOffset: number;
  bits: number;
}
export interface BtfPtr extends Base {
  kind: 'PTR';
  type: number;
}
export interface BtfArray extends Base {
  kind: 'ARRAY';
  type: number;
  indexType: number;
  nelems: number;
}
export interface BtfMember {
  name: string;
  type: number;
  /** Offset of the member from the start of the struct, in bits. */
  bitOffset: number;
  /** Bitfield width in bits, 0 for an ordinary member. */
  bitfieldSize: number;
}
export interface BtfStruct extends Base {
  kind: 'STRUCT' | 'UNION';
  size: number;
  members: BtfMember[];
}
export interface BtfEnum extends Base {
  kind: 'ENUM';
  size: number;
  signed: boolean;
  values: { name: string; value: number }[];
}
export interface BtfEnum64 extends Base {
  kind: 'ENUM64';
  size: number;
  signed: boolean;
  /** Decimal strings: a 64-bit value does not fit a JS number. */
  values: { name: string; value: string }[];
}
export interface BtfFwd extends Base {
  kind: 'FWD';
  fwdKind: 'struct' | 'union';
}
/** Kinds that only refer to another type. */
export interface BtfRef extends Base {
  kind: 'TYPEDEF' | 'VOLATILE' | 'CONST' | 'RESTRICT' | 'TYPE_TAG';
  type: number;
}
export interface BtfFunc extends Base {
  kind: 'FUNC';
  /** The FUNC_PROTO. */
  type: number;
  linkage: Linkage;
}
export interface BtfFuncProto extends Base {
  kind: 'FUNC_PROTO';
  returnType: number;
  /** A trailing `{ name: '', type: 0 }` marks a variadic function. */
  params: { name: string; type: number }[];
}
export interface BtfVar extends Base {
  kind: 'VAR';
  type: number;
  linkage: Linkage;
}
export interface BtfVarSecinfo {
  /** The VAR (or FUNC for extern functions). */
  type: number;
  offset: number;
  size: number;
}
export interface BtfDatasec extends Base {
  kind: 'DATASEC';
  size: number;
  vars: BtfVarSecinfo[];
}
export interface BtfFloat extends Base {
  kind: 'FLOAT';
  size: number;
}
export interface BtfDeclTag extends Base {
  kind: 'DECL_TAG';
  type: number;
  /** -1 when the tag applies to the type itself, else the member or parameter index. */
  componentIdx: number;
}

export type BtfType =
  | BtfVoid
  | BtfInt
  | BtfPtr
  | BtfArray
  | BtfStruct
  | BtfEnum
  | BtfEnum64
  | BtfFwd
  | BtfRef
  | BtfFunc
  | BtfFuncProto
  | BtfVar
  | BtfDatasec
  | BtfFloat
  | BtfDeclTag;

/** Parsed `.BTF`: `types[id]`, with `types[0]` the implicit `void`. */
export interface Btf {
  types: BtfType[];
}

/** One `.BTF.ext` func_info record: a function starts at `insnOff` (bytes into its section). */
export interface FuncInfo {
  insnOff: number;
  typeId: number;
}

/** One `.BTF.ext` line_info record, with its strings resolved. */
export interface LineInfo {
  insnOff: number;
  file: string;
  line: number;
  col: number;
  /** The source line, as clang stored it. */
  text: string;
}

/** One `.BTF.ext` CO-RE relocation record (struct bpf_core_relo), access string resolved. */
export interface CoreRelo {
  insnOff: number;
  typeId: number;
  /** Access string, e.g. "0:1:3". */
  access: string;
  kind: number;
}

export interface BtfExtSection<T> {
  section: string;
  records: T[];
}

/** Parsed `.BTF.ext`, per ELF section, in file order. */
export interface BtfExt {
  funcInfo: BtfExtSection<FuncInfo>[];
  lineInfo: BtfExtSection<LineInfo>[];
  coreRelos: BtfExtSection<CoreRelo>[];
}

export class BtfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BtfError';
  }
}

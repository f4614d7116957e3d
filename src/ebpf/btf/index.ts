/**
 * BTF: the BPF Type Format of `.BTF` and `.BTF.ext` sections — types, func/line info and
 * CO-RE relocation records — as plain data. Pure: no I/O.
 */
export * from './types.ts';
export { parseBtf, parseBtfExt, BtfStrings, type ParsedBtf } from './parse.ts';
export { typeById, resolveType, sizeOf, typeName, findType } from './query.ts';
export {
  CORE_RELO_KINDS,
  BPF_CORE_FIELD_BYTE_OFFSET,
  BPF_CORE_FIELD_BYTE_SIZE,
  BPF_CORE_FIELD_EXISTS,
  CoreReloError,
  coreKindName,
  describeCoreRelo,
  resolveCoreRelo,
  type CoreFieldResult,
} from './core.ts';
export { dumpBtfValue, JsonWriter, type BtfDumpOptions } from './format.ts';

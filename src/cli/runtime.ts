/** Loading an object into a fresh runtime for one CLI invocation, with user-facing errors. */
import type { ObjectSpec } from '../ebpf/elf/index.ts';
import { type LoadedObject, Runtime, RuntimeError, type RuntimeOptions } from '../ebpf/runtime/runtime.ts';
import { CliError } from './errors.ts';

export function loadIntoRuntime(spec: ObjectSpec, opts: RuntimeOptions = {}): { rt: Runtime; obj: LoadedObject } {
  const rt = new Runtime(opts);
  try {
    return { rt, obj: rt.load(spec) };
  } catch (e) {
    if (e instanceof RuntimeError) throw new CliError(e.log ? `${e.message}\n${e.log}` : e.message, e.exitCode);
    throw e;
  }
}

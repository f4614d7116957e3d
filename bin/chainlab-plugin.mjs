#!/usr/bin/env node
// `chainlab plugin` in the shape the bpf_conformance runner calls a plugin: `PLUGIN [MEMHEX] [OPTIONS…] [--elf]`,
// program hex on stdin (bpf_conformance_runner --test_file_directory DIR --plugin_path bin/chainlab-plugin.mjs).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main([process.argv[0], process.argv[1], 'plugin', ...process.argv.slice(2)]);

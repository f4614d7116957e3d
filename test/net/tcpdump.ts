/** Run the system tcpdump on a pcap file, if there is one (Debian: apt-get install -y tcpdump). */
import { spawnSync } from 'node:child_process';

export const hasTcpdump: boolean = (() => {
  const r = spawnSync('tcpdump', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
})();

if (!hasTcpdump) {
  console.warn('SKIPPED: tcpdump is not installed; tests comparing with tcpdump are skipped (apt-get install -y tcpdump)');
}

/** tcpdump's output lines for `file`, with extra arguments (e.g. -n -S -t). */
export function tcpdump(file: string, args: string[]): string[] {
  const r = spawnSync('tcpdump', [...args, '-r', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tcpdump failed (${r.status}): ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

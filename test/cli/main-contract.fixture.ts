// Child process for test/cli/main.test.ts: runs `main` in-process for each argument list given as JSON
// on argv (cheaper than a process each), capturing stdout and stderr, and prints the outcomes as JSON.
// Kept out of the test runner's process, whose reporter writes to the same stdout.

import { writeSync } from 'node:fs';
import { main } from '../../src/cli/main.ts';

const cases = JSON.parse(process.argv[2]!) as string[][];
const outcomes: { code: number; stdout: string; stderr: string }[] = [];
for (const args of cases) {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    outcomes.push({ code: await main(['node', 'sgdlab', ...args]), stdout, stderr });
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
writeSync(1, JSON.stringify(outcomes));

// ctest entry e2e_ethers: runs `npm test` in tests/e2e (ethers.js v6 against treasurenetd, whose
// path comes from env TREASURENETD). Exits 77 (ctest: skipped) when the npm dependencies are not
// installed, so a checkout without `npm ci` is not reported as broken.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const dir = path.resolve(process.argv[2] ?? path.join(path.dirname(new URL(import.meta.url).pathname), '../e2e'));
if (!fs.existsSync(path.join(dir, 'node_modules', 'ethers', 'package.json'))) {
  console.log(`SKIP e2e_ethers: ${path.join(dir, 'node_modules')} is missing; run \`npm ci\` in ${dir} to install ethers`);
  process.exit(77);
}
if (!process.env.TREASURENETD || !fs.existsSync(process.env.TREASURENETD)) {
  console.log(`FAIL e2e_ethers: TREASURENETD (${process.env.TREASURENETD}) is not a file`);
  process.exit(1);
}
// The spec reporter prints one ✔/✖ line per test (the default under ctest, with no TTY, is TAP).
const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --test-reporter=spec`.trim() };
const p = spawn('npm', ['test'], { cwd: dir, stdio: 'inherit', env });
p.on('error', (e) => {
  console.log(`FAIL e2e_ethers: cannot run npm: ${e.message}`);
  process.exit(1);
});
p.on('close', (code, signal) => {
  console.log(code === 0 ? 'PASS e2e_ethers: npm test passed' : `FAIL e2e_ethers: npm test exited with ${code ?? signal}`);
  process.exit(code === 0 ? 0 : 1);
});

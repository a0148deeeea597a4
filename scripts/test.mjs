#!/usr/bin/env node
// Runs every check `npm test` promises: formatting, lint, then the tap suites (unit and
// integration, against real processes). Ends with one line, `N passed, N failed`, counting each
// check and each tap assertion.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

/** Runs a command, echoing its output, and resolves with its exit code and output. */
function run(command, args) {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const echo = (stream) => (chunk) => {
      output += chunk;
      stream.write(chunk);
    };
    child.stdout.on('data', echo(process.stdout));
    child.stderr.on('data', echo(process.stderr));
    child.on('close', (code) => resolveRun({ code, output }));
  });
}

let passed = 0;
let failed = 0;

for (const [name, command, args] of [
  ['formatting (prettier --check)', bin('prettier'), ['--check', '--log-level', 'warn', '.']],
  ['lint (eslint)', bin('eslint'), ['--max-warnings', '0', '.']],
  // `tsc -b` compiles the sources; tap runs tests through tsx, which strips types without checking.
  ['types of the tests (tsc -p tsconfig.tests.json)', bin('tsc'), ['-p', 'tsconfig.tests.json']],
]) {
  const { code } = await run(command, args);
  process.stdout.write(`${code === 0 ? 'ok' : 'not ok'} - ${name}\n`);
  if (code === 0) passed += 1;
  else failed += 1;
}

const tapArgs = process.argv.slice(2);
const tap = await run(bin('tap'), tapArgs);
const summary = [
  ...tap.output.matchAll(/^# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?.*\}$/gm),
].pop();
if (summary) {
  passed += Number(summary[2] ?? 0);
  failed += Number(summary[3] ?? 0);
}
if (tap.code !== 0 && (!summary || Number(summary[3] ?? 0) === 0)) {
  // tap failed without counting a failed assertion (a crashed file, a timeout): count it.
  failed += 1;
}

process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);

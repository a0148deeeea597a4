#!/usr/bin/env node
// Makes a checkout runnable: installs npm dependencies when the lock file or a package manifest
// changed, builds the pinned Go tools once, and compiles the TypeScript projects. Each step is
// quick when its result is already there. Uses only Node built-ins.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureToolchain } from './toolchain.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  process.stderr.write(`[prepare] ${message}\n`);
  process.exit(1);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.error) fail(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0) fail(`\`${command} ${args.join(' ')}\` failed with exit code ${result.status}`);
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19))
    fail(`Node.js 20.19 or newer is required; this is ${process.version}.`);
}

function checkRedis() {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    fail(
      'redis-server was not found on the PATH. Install it (Debian and Ubuntu: `apt-get install redis-server`).',
    );
  }
}

/** The manifests whose change means `npm install` must run again. */
function manifests() {
  const files = ['package.json', 'package-lock.json', 'workflows/package.json'];
  for (const group of ['packages', 'services']) {
    for (const name of readdirSync(join(root, group))) files.push(`${group}/${name}/package.json`);
  }
  return files.filter((file) => existsSync(join(root, file)));
}

function installDependencies() {
  const hash = createHash('sha256');
  for (const file of manifests()) hash.update(file).update(readFileSync(join(root, file)));
  const fingerprint = hash.digest('hex');
  const stamp = join(root, 'node_modules', '.parley-install');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === fingerprint) return;
  process.stdout.write('[prepare] installing npm dependencies\n');
  const fresh = !existsSync(join(root, 'node_modules'));
  run('npm', [fresh ? 'ci' : 'install', '--no-audit', '--no-fund']);
  writeFileSync(stamp, `${fingerprint}\n`);
}

checkNode();
checkRedis();
installDependencies();
try {
  await ensureToolchain();
} catch (err) {
  fail(err.message);
}
process.stdout.write('[prepare] compiling TypeScript\n');
run(join(root, 'node_modules', '.bin', 'tsc'), ['-b']);

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
/** `--tests`: also prepare what only the test suites need. */
const forTests = process.argv.includes('--tests');

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

/**
 * Debian packages the project runs: redis-server always, and Chromium for the browser tests. A
 * missing one is installed with apt-get when this runs as root (as on CI), or named otherwise.
 */
function ensureSystemPackages() {
  const needed = [{ command: 'redis-server', args: ['--version'], pkg: 'redis-server' }];
  if (forTests) needed.push({ command: 'chromium', args: ['--version'], pkg: 'chromium' });
  const missing = needed.filter(
    ({ command, args }) => spawnSync(command, args, { encoding: 'utf8', stdio: 'ignore' }).error,
  );
  if (missing.length === 0) return;
  const names = missing.map(({ pkg }) => pkg);
  const hasApt = !spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).error;
  if (process.getuid?.() !== 0 || !hasApt) {
    fail(
      `missing Debian packages: ${names.join(', ')}. Install them with \`apt-get install ${names.join(' ')}\`.`,
    );
  }
  process.stdout.write(`[prepare] installing Debian packages: ${names.join(', ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', ...names],
  ]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (result.status !== 0) fail(`\`apt-get ${args.join(' ')}\` failed with exit code ${result.status}`);
  }
}

/** The manifests whose change means `npm install` must run again: the root's and each workspace's. */
function manifests() {
  const files = ['package.json', 'package-lock.json'];
  const { workspaces = [] } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const pattern of workspaces) {
    if (!pattern.endsWith('/*')) {
      files.push(`${pattern}/package.json`);
      continue;
    }
    const group = pattern.slice(0, -2);
    if (!existsSync(join(root, group))) continue;
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

/** Every file under `dir` (recursively) but build output, installed packages and tests. */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (['dist', 'node_modules', 'test'].includes(entry.name)) return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * Type-checks and bundles the web client (`web/dist`, which the gateway serves) when its sources
 * changed since the last build, recorded in a stamp beside the output.
 */
function buildWebClient() {
  const web = join(root, 'web');
  if (!existsSync(join(web, 'package.json'))) return;
  const hash = createHash('sha256');
  for (const file of filesUnder(web).sort()) hash.update(file.slice(root.length)).update(readFileSync(file));
  const fingerprint = hash.digest('hex');
  const stamp = join(web, 'dist', '.parley-build');
  if (existsSync(join(web, 'dist', 'index.html')) && existsSync(stamp)) {
    if (readFileSync(stamp, 'utf8').trim() === fingerprint) return;
  }
  process.stdout.write('[prepare] building the web client\n');
  run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join('web', 'tsconfig.json')]);
  run(join(root, 'node_modules', '.bin', 'vite'), ['build', 'web', '--logLevel', 'warn']);
  writeFileSync(stamp, `${fingerprint}\n`);
}

checkNode();
ensureSystemPackages();
installDependencies();
try {
  await ensureToolchain();
} catch (err) {
  fail(err.message);
}
process.stdout.write('[prepare] compiling TypeScript\n');
run(join(root, 'node_modules', '.bin', 'tsc'), ['-b']);
buildWebClient();

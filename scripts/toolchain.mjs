#!/usr/bin/env node
// Builds the Go programs the platform runs beside its services (daprd, the Temporal CLI and
// FerretDB) into .tools/bin, once per pinned version. Uses only Node built-ins, so it can run
// before `npm install`.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const binDir = join(root, '.tools', 'bin');

/**
 * The pinned specification of every tool, with a fingerprint that changes with the pin. Tools
 * marked `optional` (only the benchmark needs them) are left out unless named in `optIn`.
 */
export function toolSpecs(optIn = []) {
  const specs = JSON.parse(readFileSync(join(root, 'tools', 'versions.json'), 'utf8'));
  const wanted = Object.entries(specs).filter(([name, spec]) => !spec.optional || optIn.includes(name));
  return wanted.map(([name, spec]) => {
    const hash = createHash('sha256').update(JSON.stringify(spec));
    if (spec.dir) {
      // The module file, its sums and its own Go sources but tests (a module that only pins an
      // upstream command, with a `tool` line in go.mod, has none).
      const dir = join(root, spec.dir);
      const sources = readdirSync(dir)
        .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go'))
        .sort();
      for (const file of ['go.mod', 'go.sum', ...sources]) {
        const path = join(dir, file);
        if (existsSync(path)) hash.update(readFileSync(path));
      }
    }
    return { name, spec, fingerprint: hash.digest('hex').slice(0, 16) };
  });
}

function isCurrent({ name, fingerprint }) {
  const stamp = join(binDir, `${name}.stamp`);
  return (
    existsSync(join(binDir, name)) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === fingerprint
  );
}

/** The `go version` line, or an error that says how to get Go. */
export function goVersion() {
  const probe = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'Go is required to build daprd, the Temporal CLI and FerretDB, but `go` was not found on the PATH. ' +
        'Install Go 1.24 or newer (https://go.dev/doc/install) and run the command again.',
    );
  }
  return probe.stdout.trim();
}

function build({ name, spec, fingerprint }) {
  const started = Date.now();
  const common = ['-trimpath', '-ldflags=-s -w', '-v'];
  const args = spec.install
    ? ['install', ...common, spec.install]
    : ['build', ...common, '-tags', spec.tags ?? '', '-o', join(binDir, name), spec.package];
  const cwd = spec.dir ? join(root, spec.dir) : root;
  const env = { ...process.env, GOBIN: binDir, GOFLAGS: '-mod=mod' };
  return new Promise((resolveBuild, reject) => {
    const child = spawn('go', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let compiled = 0;
    const tail = [];
    const onLine = (line) => {
      if (!line) return;
      compiled += 1;
      tail.push(line);
      if (tail.length > 30) tail.shift();
    };
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream.on('data', (chunk) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        lines.forEach(onLine);
      });
    }
    const timer = setInterval(() => {
      const seconds = Math.round((Date.now() - started) / 1000);
      process.stdout.write(`[toolchain] ${name}: ${compiled} packages compiled, ${seconds}s\n`);
    }, 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      if (code !== 0) {
        reject(new Error(`building ${name} failed (exit ${code}):\n${tail.join('\n')}`));
        return;
      }
      writeFileSync(join(binDir, `${name}.stamp`), `${fingerprint}\n`);
      const seconds = Math.round((Date.now() - started) / 1000);
      process.stdout.write(`[toolchain] ${name}: built in ${seconds}s\n`);
      resolveBuild();
    });
  });
}

/**
 * Builds every tool whose binary is missing or older than its pin, and the optional ones named in
 * `optIn`. Resolves when all are current.
 */
export async function ensureToolchain(optIn = []) {
  mkdirSync(binDir, { recursive: true });
  const stale = toolSpecs(optIn).filter((tool) => !isCurrent(tool));
  if (stale.length === 0) return;
  const version = goVersion();
  process.stdout.write(
    `[toolchain] building ${stale.map((t) => t.name).join(', ')} with ${version} into .tools/bin ` +
      '(the first build takes many minutes; later runs reuse it)\n',
  );
  // One at a time: each build already uses every core, and in parallel they only fight for memory.
  for (const tool of stale) {
    process.stdout.write(`[toolchain] ${tool.name}: ${tool.spec.description}\n`);
    await build(tool);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // `node scripts/toolchain.mjs centrifugo` also builds the named optional tools.
  ensureToolchain(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`[toolchain] ${err.message}\n`);
    process.exit(1);
  });
}

/**
 * `npm run bench`: measures message delivery through the full stack beside its own limits (bare
 * Socket.IO, Dapr hops) and a peer (Centrifugo), all started here on loopback, and writes the
 * report under bench/results. `--quick` for a smoke run; `--only=full,bare,centrifugo,dapr`;
 * `--note=<text>` adds a note to the report.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join, resolve } from 'node:path';
import { openFileLimits } from './proc';
import { installExitHandlers } from './processes';
import { archive, updateReadme, writeReport } from './report/write';
import type { BenchResults, MachineInfo } from './report/types';
import type { Context } from './scenarios/context';
import { daprHops } from './scenarios/dapr-hops';
import { fullStack } from './scenarios/full-stack';
import { bareSocketIo, centrifugo } from './scenarios/peers';
import { SCENARIOS, parseSettings } from './settings';

const root = resolve(__dirname, '..', '..');
const resultsDir = join(root, 'bench', 'results');

function machine(): MachineInfo {
  const osName = /^PRETTY_NAME="?(.*?)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? type();
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${osName} (Linux ${release()})`,
    node: process.versions.node,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  installExitHandlers();
  const started = Date.now();
  const elapsed = () => {
    const s = Math.round((Date.now() - started) / 1000);
    return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  };
  const log = (text: string) => console.log(`[bench ${elapsed()}] ${text}`);
  const stamp = new Date(started).toISOString().replace(/[:.]/g, '-');
  const rawDir = join(resultsDir, 'raw', stamp);
  mkdirSync(rawDir, { recursive: true });
  const ctx: Context = { settings, log, rawDir };
  const info = machine();
  log(
    `${settings.quick ? 'quick' : 'default'} run: ${[...settings.only].join(', ')}; ${settings.clients} clients ` +
      `in rooms of ${settings.roomSize}; ${info.cores} cores, load average ${info.loadAverageAtStart.join(' ')}`,
  );
  const needed = Math.max(settings.clients, ...settings.idleClients) + 1_000;
  const files = openFileLimits(process.pid);
  if (files.hard < needed) {
    log(
      `the hard limit on open files (${files.hard}) is below ${needed}: raise it with \`ulimit -Hn ${needed}\``,
    );
  }
  if (settings.only.has('centrifugo')) {
    const build = spawnSync(process.execPath, [join(root, 'scripts', 'toolchain.mjs'), 'centrifugo'], {
      stdio: 'inherit',
    });
    if (build.status !== 0) throw new Error('building Centrifugo failed');
  }

  const results: BenchResults = { failures: {} };
  const attempt = async <T>(name: string, run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await run();
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      log(`${name} failed: ${message}`);
      results.failures[name] = message;
      return undefined;
    }
  };
  // The full stack first: its sustainable rate sets the reference rate the peers are measured at.
  if (settings.only.has('full')) results.full = await attempt('full stack', () => fullStack(ctx));
  const reference = results.full?.referenceRate;
  if (settings.only.has('bare'))
    results.bare = await attempt('bare Socket.IO', () => bareSocketIo(ctx, reference));
  if (settings.only.has('centrifugo')) {
    results.centrifugo = await attempt('Centrifugo', () => centrifugo(ctx, reference));
  }
  if (settings.only.has('dapr')) results.dapr = await attempt('Dapr hops', () => daprHops(ctx));

  const notes = process.argv
    .slice(2)
    .filter((a) => a.startsWith('--note='))
    .map((a) => a.slice('--note='.length));
  const [load] = info.loadAverageAtStart;
  if (load !== undefined && load > info.cores / 2) {
    notes.push(
      `Other work was running on the machine when this run started (load average ${load} on ${info.cores} ` +
        'cores): absolute figures are pessimistic, the ratios between configurations less so.',
    );
  }
  for (const [name, m] of [
    ['the full stack', results.full?.atSustainable],
    ['bare Socket.IO', results.bare?.atSustainable],
    ['Centrifugo', results.centrifugo?.atSustainable],
  ] as const) {
    const cores = m?.loadgenCores.median ?? 0;
    if (cores > 0.85) {
      notes.push(
        `At the sustainable rate of ${name} the load generator kept ${cores.toFixed(2)} cores busy: the ` +
          'rate is partly its limit, so the figure is a lower bound for the server.',
      );
    }
  }
  const meta = {
    generatedAt: new Date().toISOString(),
    notes,
    mode: settings.quick ? ('quick' as const) : ('default' as const),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine: info,
    workload: {
      clients: settings.clients,
      roomSize: settings.roomSize,
      devicesPerUser: settings.devicesPerUser,
      payloadBytes: settings.payloadBytes,
      runs: settings.runs,
      runSeconds: settings.runMs / 1000,
    },
  };
  // Only a default run of every scenario replaces the committed report and the README table;
  // a quick run, or one of some scenarios, reports into its raw folder.
  const complete = !settings.quick && SCENARIOS.every((name) => settings.only.has(name));
  const reportDir = complete ? resultsDir : rawDir;
  const report = await writeReport(reportDir, meta, results);
  if (complete) {
    archive(report, rawDir);
    if (await updateReadme(join(root, 'README.md'), meta, results, report.goals))
      log('README benchmark table updated');
  }
  log(`report: ${report.markdown}, ${report.json}, ${report.png ?? `${report.svg} (no Chromium: SVG only)`}`);
  for (const goal of report.goals) {
    const verdict = goal.met === null ? 'not measured' : goal.met ? 'met' : `MISSED (${goal.shortfall})`;
    log(`goal: ${goal.goal}: ${goal.measured} -> ${verdict}`);
  }
  log(`done in ${elapsed()}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

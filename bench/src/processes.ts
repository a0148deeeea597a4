import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';

/** Every process the benchmark started, so that an exit or Ctrl-C leaves none behind. */
const running = new Set<ChildProcess>();
const cleanups = new Set<() => void>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Kills everything still running at once (exit and signal handlers). */
export function killEverything(): void {
  for (const cleanup of cleanups) cleanup();
  for (const child of running) killGroup(child, 'SIGKILL');
}

/** Registers a synchronous cleanup for exit (a stack's `killAllNow`, say). */
export function onExit(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

let installed = false;
export function installExitHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killEverything);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.log(`\n[bench] ${signal}: stopping every process the benchmark started`);
      killEverything();
      process.exit(130);
    });
  }
}

export interface Started {
  child: ChildProcess;
  pid: number;
  /** Last lines of its output, for error messages. */
  tail: string[];
  stop(graceMs?: number): Promise<void>;
}

/** Starts a process in its own group, keeping its last output lines. */
export function start(
  name: string,
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Started {
  const child = spawn(command, args, {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString().split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 30));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', () => running.delete(child));
  child.once('error', (err) => tail.push(`${name} could not start: ${err.message}`));
  return {
    child,
    get pid() {
      return child.pid ?? -1;
    },
    tail,
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      killGroup(child, 'SIGKILL');
    },
  };
}

/** Waits until something accepts TCP connections on the loopback port. */
export async function waitForPort(port: number, what: Started, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (what.child.exitCode !== null) throw new Error(`exited early:\n${what.tail.join('\n')}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms:\n${what.tail.join('\n')}`);
}

/** A private Redis on its own loopback port, nothing persisted. */
export async function startRedis(port: number): Promise<Started> {
  const redis = start('redis', 'redis-server', [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--save',
    '',
    '--appendonly',
    'no',
    '--protected-mode',
    'yes',
    '--logfile',
    '',
  ]);
  await waitForPort(port, redis);
  return redis;
}

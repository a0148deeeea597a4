import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export type LogSink = (name: string, line: string) => void;

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Raised when a process does not come up; carries its last output lines. */
export class StartError extends Error {
  constructor(
    readonly processName: string,
    reason: string,
    readonly lastLines: string[],
  ) {
    super(
      `${processName} did not come up: ${reason}\n--- last lines of ${processName} ---\n${lastLines.join('\n')}`,
    );
    this.name = 'StartError';
  }
}

const TAIL_LINES = 40;

/**
 * A child process in its own process group, so that stopping it stops whatever it spawned. Its
 * output goes line by line to the sink, and the last lines are kept for error reports.
 */
export class ManagedProcess {
  private child?: ChildProcess;
  private readonly tail: string[] = [];
  private exitInfo?: { code: number | null; signal: NodeJS.Signals | null };
  private stopping = false;
  private exited?: Promise<void>;

  constructor(
    readonly spec: ProcessSpec,
    private readonly sink: LogSink,
    private readonly onUnexpectedExit?: (
      name: string,
      code: number | null,
      signal: NodeJS.Signals | null,
    ) => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  lastLines(): string[] {
    return [...this.tail];
  }

  start(): void {
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: this.spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.tail.push(line);
        if (this.tail.length > TAIL_LINES) this.tail.shift();
        this.sink(this.spec.name, line);
      });
    }
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.tail.push(`failed to spawn ${this.spec.command}: ${err.message}`);
        this.exitInfo = { code: null, signal: null };
        resolve();
      });
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        if (!this.stopping) this.onUnexpectedExit?.(this.spec.name, code, signal);
        resolve();
      });
    });
  }

  /**
   * Polls `check` until it resolves true. Fails early with the last output lines if the process
   * exits, and after `timeoutMs` if it never becomes healthy.
   */
  async waitUntil(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError = '';
    while (Date.now() < deadline) {
      if (this.exitInfo) {
        const { code, signal } = this.exitInfo;
        throw new StartError(
          this.spec.name,
          `exited (code ${code}, signal ${signal}) before ${what}`,
          this.lastLines(),
        );
      }
      try {
        if (await check()) return;
        // Only the latest failure says why the process is not up yet.
        lastError = '';
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const reason = `not ${what} after ${Math.round(timeoutMs / 1000)}s${lastError ? ` (${lastError})` : ''}`;
    throw new StartError(this.spec.name, reason, this.lastLines());
  }

  /** Kills the group with SIGKILL at once, as a crash would, and waits for the exit. */
  async crash(): Promise<void> {
    const child = this.child;
    if (!child?.pid || this.exitInfo) return;
    this.stopping = true;
    signalGroup(child.pid, 'SIGKILL');
    await this.exited;
  }

  /** SIGTERM to the whole group, then SIGKILL if it has not gone after `graceMs`. */
  async stop(graceMs = 8_000): Promise<void> {
    const child = this.child;
    if (!child?.pid || this.exitInfo) return;
    this.stopping = true;
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child.pid as number, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    // Whatever the leader left behind in its group goes too.
    signalGroup(child.pid, 'SIGKILL');
  }
}

export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

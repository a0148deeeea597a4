import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { ClientKind, ClientSpec, Command, Report, RunResult, RunSpec } from './protocol';

/** The orchestrator's handle on the load generator child process. */
export class LoadGenerator {
  private readonly child: ChildProcess;
  private waiting?: { type: Report['type']; resolve: (report: Report) => void; reject: (err: Error) => void };

  constructor(private readonly log: (text: string) => void) {
    this.child = fork(join(__dirname, 'main.ts'), [], {
      execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (report: Report) => {
      if (report.type === 'progress') this.log(report.text);
      else if (report.type === 'error') this.waiting?.reject(new Error(`load generator: ${report.message}`));
      else if (report.type === this.waiting?.type) this.waiting.resolve(report);
    });
    this.child.once('exit', (code) => this.waiting?.reject(new Error(`load generator exited (${code})`)));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  private ask<T extends Report['type']>(command: Command, answer: T): Promise<Extract<Report, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.waiting = { type: answer, resolve: resolve as (r: Report) => void, reject };
      this.child.send(command);
    });
  }

  /**
   * Connects the clients, replacing those held (or added to them with `append`, or in place of the
   * clients at the `replace` indexes), starting no new connection after `withinMs`.
   */
  async connect(
    kind: ClientKind,
    clients: ClientSpec[],
    options: { concurrency?: number; append?: boolean; withinMs?: number; replace?: number[] } = {},
  ) {
    const { concurrency = 50, append = false, withinMs, replace } = options;
    const command = { type: 'connect', kind, clients, concurrency, append, withinMs, replace } as const;
    const answer = await this.ask(command, 'connected');
    if (answer.failed > 0) {
      this.log(
        `${answer.failed} of ${clients.length} clients failed to connect (first: ${answer.firstError})`,
      );
    }
    return answer;
  }

  async run(spec: RunSpec): Promise<RunResult> {
    return (await this.ask({ type: 'run', spec }, 'result')).result;
  }

  async disconnect(): Promise<void> {
    await this.ask({ type: 'disconnect' }, 'disconnected');
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}

/**
 * The load generator: a child process of the benchmark, so that its CPU is measured apart from
 * the servers'. It holds every client connection, sends on an open-model schedule and records
 * each delivery's latency from the send's planned time.
 */
import { summarise } from '../stats';
import { runSchedule } from '../schedule';
import { type BenchClient, connect } from './clients';
import type { ClientKind, ClientSpec, Command, Report, RunResult, RunSpec } from './protocol';

let clients: (BenchClient | undefined)[] = [];
const CONNECT_ATTEMPTS = 8;
let current: Recorder | undefined;

function report(message: Report): void {
  process.send?.(message);
}

/** Counts the deliveries of one run. */
class Recorder {
  readonly latencies: number[] = [];
  /** Where the server says when it stored a message: planned send to stored, stored to delivered. */
  readonly toStored: number[] = [];
  readonly storedToDelivered: number[] = [];
  readonly counts: Uint16Array;
  planned: number[] = [];
  received = 0;
  duplicates = 0;
  expected = 0;
  private readonly prefix: string;
  private readonly roomSize: number[];

  constructor(
    readonly spec: RunSpec,
    total: number,
  ) {
    this.prefix = `${spec.runId}:`;
    this.counts = new Uint16Array(total);
    this.roomSize = spec.rooms.map((room) => room.members.length);
  }

  onMessage(body: string, storedAt?: number): void {
    if (!body.startsWith(this.prefix)) return; // A straggler of an earlier run.
    const index = Number(body.slice(this.prefix.length, body.indexOf(':', this.prefix.length)));
    const planned = this.planned[index];
    if (planned === undefined) return;
    const size = this.roomSize[index % this.roomSize.length] as number;
    this.counts[index] = (this.counts[index] as number) + 1;
    if ((this.counts[index] as number) > size) {
      this.duplicates += 1;
      return;
    }
    this.received += 1;
    const now = performance.now();
    this.latencies.push(now - planned);
    if (storedAt !== undefined) {
      // The server's clock is this machine's: its epoch time maps onto this process's timeline.
      const stored = storedAt - performance.timeOrigin;
      this.storedToDelivered.push(now - stored);
      if (this.counts[index] === 1) this.toStored.push(stored - planned);
    }
  }
}

function bodyOf(runId: string, index: number, bytes: number): string {
  const head = `${runId}:${index}:`;
  return head + 'x'.repeat(Math.max(0, bytes - head.length));
}

async function connectAll(
  kind: ClientKind,
  specs: ClientSpec[],
  concurrency: number,
  append: boolean,
  withinMs = Number.POSITIVE_INFINITY,
  replace?: number[],
): Promise<void> {
  const started = performance.now();
  const deadline = started + withinMs;
  const offset = append ? clients.length : 0;
  // Where each spec's client goes: after those held, or in place of the ones replaced.
  const slot = (i: number) => (replace ? (replace[i] as number) : offset + i);
  if (replace) {
    for (const index of replace) {
      clients[index]?.close();
      clients[index] = undefined;
    }
  } else {
    if (!append) clients = [];
    clients.length = offset + specs.length;
  }
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  let lastReport = started;
  const worker = async () => {
    while (next < specs.length && performance.now() < deadline) {
      const i = next++;
      // A refused connection is tried again after a pause, as a real client reconnects.
      for (let attempt = 1; ; attempt++) {
        try {
          clients[slot(i)] = await connect(kind, specs[i] as ClientSpec, (body, storedAt) =>
            current?.onMessage(body, storedAt),
          );
          break;
        } catch (err) {
          if (attempt < CONNECT_ATTEMPTS) {
            await new Promise((resolve) => setTimeout(resolve, Math.min(500 * attempt, 3_000)));
            continue;
          }
          failed += 1;
          firstError ??= err instanceof Error ? err.message : String(err);
          break;
        }
      }
      if (performance.now() - lastReport > 5_000) {
        lastReport = performance.now();
        report({ type: 'progress', text: `connected ${i + 1 - failed} of ${specs.length}` });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, worker));
  const ms = Math.round(performance.now() - started);
  const count = specs.filter((_, i) => clients[slot(i)]).length;
  // Clients never tried (the time ran out) count as failed too.
  report({ type: 'connected', count, failed: specs.length - count, firstError, ms });
}

async function run(spec: RunSpec): Promise<void> {
  const recorder = new Recorder(spec, Math.ceil((spec.rate * spec.durationMs) / 1000) + 1);
  current = recorder;
  let errors = 0;
  let firstError: string | undefined;
  const onError = (reason: string) => {
    errors += 1;
    firstError ??= reason;
  };
  const publish = spec.publishApi;
  const rooms = spec.rooms;
  const started = performance.now();
  const schedule = await runSchedule(spec.rate, spec.durationMs, (i, plannedAt) => {
    recorder.planned[i] = plannedAt;
    const room = rooms[i % rooms.length]!;
    recorder.expected += room.members.length;
    const body = bodyOf(spec.runId, i, spec.payloadBytes);
    if (publish) {
      fetch(publish.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': publish.key },
        body: JSON.stringify({ channel: room.id, data: { body } }),
      })
        .then(async (res) => {
          if (!res.ok) onError(`publish answered ${res.status}`);
          else await res.arrayBuffer();
        })
        .catch((err: Error) => onError(err.message));
      return;
    }
    const sender = clients[room.members[Math.floor(i / rooms.length) % room.members.length]!];
    if (sender) sender.send(room.id, body, onError);
    else onError('sender not connected');
  });
  const sendWindowMs = performance.now() - started;
  const drainUntil = performance.now() + spec.drainMs;
  while (recorder.received < recorder.expected && performance.now() < drainUntil) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  current = undefined;
  const lag = summarise(schedule.lagMs);
  const result: RunResult = {
    runId: spec.runId,
    rate: spec.rate,
    sent: schedule.planned.length,
    expected: recorder.expected,
    received: recorder.received,
    duplicates: recorder.duplicates,
    errors,
    ...(firstError ? { firstError } : {}),
    latencyMs: summarise(recorder.latencies),
    ...(recorder.toStored.length
      ? {
          stagesMs: {
            toStoredP50: summarise(recorder.toStored).p50,
            storedToDeliveredP50: summarise(recorder.storedToDelivered).p50,
          },
        }
      : {}),
    sendLagP99Ms: lag.p99,
    deliveriesPerSecond: recorder.received / (sendWindowMs / 1000),
  };
  report({ type: 'result', result });
}

process.on('message', (command: Command) => {
  const task =
    command.type === 'connect'
      ? connectAll(
          command.kind,
          command.clients,
          command.concurrency,
          command.append ?? false,
          command.withinMs,
          command.replace,
        )
      : command.type === 'run'
        ? run(command.spec)
        : Promise.resolve().then(() => {
            for (const client of clients) client?.close();
            clients = [];
            report({ type: 'disconnected' });
          });
  task.catch((err: Error) => report({ type: 'error', message: err.stack ?? err.message }));
});
process.on('disconnect', () => process.exit(0));

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandStartedEvent, CommandSucceededEvent, CommandFailedEvent, MongoClient } from 'mongodb';

/** Commands and time per kind of database command, by command, collection and filter shape. */
export interface CommandStat {
  count: number;
  totalMs: number;
}

const FILTER_OF: Record<string, (cmd: Record<string, unknown>) => unknown> = {
  find: (cmd) => cmd.filter,
  count: (cmd) => cmd.query,
  findAndModify: (cmd) => cmd.query,
  update: (cmd) => (cmd.updates as { q?: unknown }[] | undefined)?.[0]?.q,
  delete: (cmd) => (cmd.deletes as { q?: unknown }[] | undefined)?.[0]?.q,
  aggregate: (cmd) => (cmd.pipeline as { $match?: unknown }[] | undefined)?.[0]?.$match,
};

/** `find messages {conversationId,seq}`: what a command does, without the values it names. */
function describe(event: CommandStartedEvent): string {
  const cmd = event.command as Record<string, unknown>;
  const target = cmd[event.commandName];
  const collection = typeof target === 'string' ? target : '';
  const filter = FILTER_OF[event.commandName]?.(cmd);
  const shape =
    filter && typeof filter === 'object'
      ? `{${Object.keys(filter as object)
          .sort()
          .join(',')}}`
      : '';
  return [event.commandName, collection, shape].filter(Boolean).join(' ');
}

const IGNORED = new Set([
  'ping',
  'hello',
  'isMaster',
  'ismaster',
  'endSessions',
  'saslStart',
  'saslContinue',
]);

/**
 * Counts the commands a client sends and the time they take, and keeps the totals in
 * `<dir>/<database>.json` (rewritten every second), so a benchmark can say which queries a message
 * costs. Turned on by MONGO_COMMAND_STATS_DIR; off, the client is not monitored at all.
 */
export function recordCommandStats(client: MongoClient, dir: string, database: string): () => void {
  const pending = new Map<number, string>();
  const stats: Record<string, CommandStat> = {};
  const file = join(dir, `${database}.json`);
  let changed = false;
  client.on('commandStarted', (event: CommandStartedEvent) => {
    if (!IGNORED.has(event.commandName)) pending.set(event.requestId, describe(event));
  });
  const finish = (event: CommandSucceededEvent | CommandFailedEvent) => {
    const key = pending.get(event.requestId);
    if (key === undefined) return;
    pending.delete(event.requestId);
    const stat = (stats[key] ??= { count: 0, totalMs: 0 });
    stat.count += 1;
    stat.totalMs += event.duration;
    changed = true;
  };
  client.on('commandSucceeded', finish);
  client.on('commandFailed', finish);
  const flush = () => {
    if (!changed) return;
    changed = false;
    writeFileSync(file, JSON.stringify(stats));
  };
  const timer = setInterval(flush, 1_000);
  timer.unref();
  return () => {
    clearInterval(timer);
    flush();
  };
}

import { randomUUID } from 'node:crypto';
import type { Logger } from '@parley/service-kit';
import type { SearchBackend } from '../engine/types';
import type { MessageIndexer } from '../messages/message-indexer';
import type { MessageStore } from '../messages/message-store';
import type { HistorySource } from './history-source';

export interface RebuildStatus {
  id: string;
  status: 'running' | 'completed' | 'failed';
  /** Messages read from chat so far, and roughly how many there are. */
  processed: number;
  total: number | null;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

export interface RebuildDeps {
  backend: SearchBackend;
  store: MessageStore;
  indexer: MessageIndexer;
  history: HistorySource;
  logger: Logger;
}

/**
 * Rebuilds the message index from chat's stored history: forgets every indexed message, then
 * applies each stored one as an event would. Events arriving meanwhile still apply by version,
 * so the newest state wins either way. One rebuild runs at a time; its progress is kept in memory.
 */
export class Rebuilds {
  private current: RebuildStatus | undefined;

  constructor(private readonly deps: RebuildDeps) {}

  get(id: string): RebuildStatus | undefined {
    return this.current?.id === id ? { ...this.current } : undefined;
  }

  running(): RebuildStatus | undefined {
    return this.current?.status === 'running' ? { ...this.current } : undefined;
  }

  start(): RebuildStatus {
    const status: RebuildStatus = {
      id: randomUUID(),
      status: 'running',
      processed: 0,
      total: null,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      error: null,
    };
    this.current = status;
    void this.run(status);
    return { ...status };
  }

  private async run(status: RebuildStatus): Promise<void> {
    const { backend, store, indexer, history, logger } = this.deps;
    const log = logger.child({ rebuildId: status.id });
    try {
      log.info('index rebuild started');
      await backend.clearMessages();
      await store.clear();
      let after: string | null = null;
      do {
        const page = await history.page(after);
        if (page.total !== undefined) status.total = page.total;
        for (const message of page.items) await indexer.apply(message);
        status.processed += page.items.length;
        after = page.next;
      } while (after);
      status.status = 'completed';
      log.info({ processed: status.processed }, 'index rebuild completed');
    } catch (err) {
      status.status = 'failed';
      status.error = err instanceof Error ? err.message : String(err);
      log.error({ err }, 'index rebuild failed');
    } finally {
      status.finishedAt = new Date().toISOString();
    }
  }
}

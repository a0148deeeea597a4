import { type ChatMessageView, chatMessageView } from '@parley/contracts';
import { DependencyError, type Sidecar } from '@parley/service-kit';
import { z } from 'zod';

export interface HistoryPage {
  items: ChatMessageView[];
  next: string | null;
  total?: number | undefined;
}

/** Pages of chat's stored messages, oldest id first. */
export interface HistorySource {
  page(after: string | null): Promise<HistoryPage>;
}

const pageSchema = z.object({
  items: z.array(chatMessageView),
  next: z.string().nullable(),
  total: z.number().int().nonnegative().optional(),
});

const PAGE_SIZE = 500;

/** Reads chat's history through service invocation (`GET internal/v1/messages`). */
export function chatHistory(sidecar: Sidecar): HistorySource {
  return {
    async page(after) {
      const params = new URLSearchParams({ limit: String(PAGE_SIZE), ...(after ? { after } : {}) });
      const body = await sidecar.invokeOk<unknown>('chat', `internal/v1/messages?${params}`, {
        signal: AbortSignal.timeout(30_000),
      });
      const parsed = pageSchema.safeParse(body);
      if (!parsed.success) throw new DependencyError('chat', 'chat answered an unexpected history page');
      return parsed.data;
    },
  };
}

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { format } from 'prettier';
import type { Test } from 'tap';
import { toolBin } from '@parley/devstack/dist/paths';
import { chatApi } from '../support/chat';
import type { TestStack } from '../support/stack';
import { type RegisteredUser, callJson } from '../support/users';

const run = promisify(execFile);

export interface InviteBody {
  id: string;
  conversationId: string;
  channel: string;
  status: string;
  inviteeUserId: string | null;
  remindedAt: string | null;
  code?: string;
  [key: string]: unknown;
}

/** The invite API through the gateway, as one user. */
export function inviteApi(gateway: string, user: RegisteredUser) {
  const api = `${gateway}/api/v1`;
  const call = (path: string, init: { method?: string; body?: unknown } = {}) =>
    callJson<InviteBody>(`${api}${path}`, { ...init, token: user.accessToken });
  return {
    create: (body: Record<string, unknown>) => call('/invites', { body }),
    get: (id: string) => call(`/invites/${id}`),
    list: (query = '') =>
      callJson<{ items: InviteBody[] }>(`${api}/invites${query}`, { token: user.accessToken }),
    act: (id: string, action: string) => call(`/invites/${id}/${action}`, { method: 'POST' }),
    acceptLink: (token: string) => call('/invites/accept-link', { body: { token } }),
  };
}

/** The user ids of a conversation's members, as `user` sees them. */
export async function memberIds(gateway: string, user: RegisteredUser, conversationId: string) {
  const view = await chatApi(gateway, user.accessToken).call<{ members?: { userId: string }[] }>(
    `/conversations/${conversationId}`,
  );
  return view.status === 200 ? (view.body.members ?? []).map((m) => m.userId).sort() : [];
}

/** A Temporal client on the stack's dev server, closed with the test. */
export async function temporalClient(t: Test, env: TestStack): Promise<Client> {
  const connection = await Connection.connect({ address: `127.0.0.1:${env.stack.ports.temporal}` });
  t.teardown(() => connection.close());
  return new Client({ connection });
}

/**
 * With RECORD_INVITE_HISTORIES=1, writes the finished workflow's history, as the Temporal CLI
 * exports it, beside the replay test (`workflows/test/histories/invite-<name>.json`), so a change
 * to the workflow that would break invites in flight fails there.
 */
export async function recordHistory(client: Client, env: TestStack, inviteId: string, name: string) {
  if (process.env.RECORD_INVITE_HISTORIES !== '1') return;
  const workflowId = `invite-${inviteId}`;
  await client.workflow.getHandle(workflowId).result();
  const file = join(__dirname, '..', '..', 'workflows', 'test', 'histories', `invite-${name}.json`);
  const address = `127.0.0.1:${env.stack.ports.temporal}`;
  const args = ['workflow', 'show', '-w', workflowId, '--address', address, '-o', 'json'];
  const { stdout } = await run(toolBin('temporal'), args);
  // Stored as Prettier formats JSON, so the repository's formatting check passes as recorded.
  writeFileSync(file, await format(anonymousHistory(stdout), { parser: 'json' }));
}

/**
 * Which process ran each step (identities, sticky task queues named after the worker) is of no use
 * to a replay; the host's name stays out of the repository.
 */
export function anonymousHistory(json: string): string {
  const scrub = (key: string, value: unknown) => {
    if (key === 'identity') return 'recorded';
    const queue = value as { kind?: unknown } | null;
    if (queue && typeof queue === 'object' && queue.kind === 'TASK_QUEUE_KIND_STICKY') {
      return { ...queue, name: 'recorded-sticky' };
    }
    return value;
  };
  return JSON.stringify(JSON.parse(json), scrub, 2);
}

import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import t from 'tap';
import { startTemporalDevServer, temporalMissing, testWorker } from './temporal-dev-server';
import type { InviteActivities } from '../src/activities/invite';
import type { InviteState, InviteWorkflowInput } from '../src/workflows/invite-contract';

// The invite workflow on a real Temporal dev server and worker, with the activities (the world:
// notification and chat) replaced, to reach cases the platform cannot be steered into on cue.

t.test('the invite workflow on a real Temporal server', { skip: temporalMissing }, async (t) => {
  const { address, client } = await startTemporalDevServer(t);

  const admits: { approverId: string | null }[] = [];
  let groupRequiresApprovalNow = false;
  const recorded: InviteState[] = [];
  const activities: InviteActivities = {
    deliverInvite: async () => ({ channel: 'in_app' }),
    recordInvite: async (state) => {
      recorded.push(state);
    },
    // The rule as read when the invitee accepts: no approval needed.
    joinPolicy: async () => ({ requiresApproval: false }),
    // ... but an admin turned approval on just before chat was asked to add the member.
    admitInvitee: async (input) => {
      admits.push({ approverId: input.approverId });
      if (groupRequiresApprovalNow && input.approverId === null) {
        throw ApplicationFailure.nonRetryable('approval required', 'CHAT_APPROVAL_REQUIRED');
      }
      return { added: true };
    },
  };
  const taskQueue = 'invite-workflow-test';
  const worker = await testWorker(t, address, taskQueue, activities);

  const start = (inviteId: string, inviteeUserId: string | null) => {
    const input: InviteWorkflowInput = {
      inviteId,
      conversationId: 'c_000000000000000000000001',
      inviterId: 'admin',
      channel: inviteeUserId ? 'in_app' : 'email',
      inviteeUserId,
      remindAt: null,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      approvalWindowMs: 3_600_000,
    };
    return client.workflow.start('inviteLifecycle', {
      workflowId: `invite-${inviteId}`,
      taskQueue,
      args: [input],
    });
  };
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => 'allowed',
      (err: unknown) =>
        err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure
          ? (err.cause.type ?? 'untyped')
          : err instanceof WorkflowNotFoundError
            ? 'closed'
            : `unexpected: ${String(err)}`,
    );

  await worker.runUntil(async () => {
    await t.test(
      'approval turned on after the rule was read: the acceptance waits for an admin',
      async (t) => {
        groupRequiresApprovalNow = true;
        const handle = await start('late-approval', 'bob');
        const waiting = await handle.executeUpdate<InviteState, [{ userId: string }]>('accept', {
          args: [{ userId: 'bob' }],
        });
        t.equal(waiting.status, 'awaiting_approval', 'chat refused without an approver; the invite waits');
        const approved = await handle.executeUpdate<InviteState, [{ userId: string }]>('approve', {
          args: [{ userId: 'admin' }],
        });
        t.equal(approved.status, 'accepted');
        t.same(admits, [{ approverId: null }, { approverId: 'admin' }], 'added on the second try, approved');
        t.equal(((await handle.result()) as InviteState).status, 'accepted');
        t.equal(recorded.at(-1)?.status, 'accepted', 'the final state was recorded');
      },
    );

    await t.test('refused answers leave the invite as it was', async (t) => {
      groupRequiresApprovalNow = false;
      const handle = await start('refusals', 'bob');
      const answer = (name: string, userId: string) =>
        refusal(handle.executeUpdate(name, { args: [{ userId }] }));
      t.equal(await answer('accept', 'eve'), 'INVITE_NOT_FOUND', 'someone else cannot accept');
      t.equal(await answer('approve', 'admin'), 'INVITE_NOT_AWAITING_APPROVAL');
      t.equal(await answer('reject', 'admin'), 'INVITE_NOT_AWAITING_APPROVAL');
      t.equal(await answer('decline', 'bob'), 'allowed');
      t.equal(((await handle.result()) as InviteState).status, 'declined', 'a declined invite ends');
      // Once closed, updates cannot reach it: the API answers from the recorded final state.
      t.equal(await answer('accept', 'bob'), 'closed');
      t.equal(recorded.filter((r) => r.inviteId === 'refusals').at(-1)?.status, 'declined');
    });

    await t.test('a link goes to whoever uses it first; a second user is refused', async (t) => {
      const handle = await start('link', null);
      const [first, second] = await Promise.all([
        refusal(handle.executeUpdate('accept', { args: [{ userId: 'ann' }] })),
        refusal(handle.executeUpdate('accept', { args: [{ userId: 'ben' }] })),
      ]);
      const outcome = (await handle.result()) as InviteState;
      t.equal(outcome.status, 'accepted');
      const winner = outcome.inviteeUserId;
      t.ok(winner === 'ann' || winner === 'ben');
      // A racing second update may pass its validator and learn it lost from the state it gets.
      const loser = winner === 'ann' ? second : first;
      t.ok(
        ['INVITE_LINK_USED', 'allowed'].includes(loser),
        `the loser is told, or reads the state (${loser})`,
      );
    });
  });
});

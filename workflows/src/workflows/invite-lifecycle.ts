import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
} from '@temporalio/workflow';
import type { InviteActivities } from '../activities/invite';
import {
  INVITE_STATE_QUERY,
  type InviteActor,
  type InviteState,
  type InviteStatus,
  type InviteAction,
  type InviteWorkflowInput,
  inviteRefusal,
  inviteUpdateNames,
} from './invite-contract';

const { deliverInvite, recordInvite, joinPolicy } = proxyActivities<InviteActivities>({
  startToCloseTimeout: '30 seconds',
  // A notification or chat outage is waited out for about an hour.
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 20,
  },
});

const { admitInvitee } = proxyActivities<InviteActivities>({
  startToCloseTimeout: '30 seconds',
  // The invitee waits on this answer, so it gives up sooner and reports the failure.
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 8,
  },
});

export const acceptInvite = defineUpdate<InviteState, [InviteActor]>(inviteUpdateNames.accept);
export const declineInvite = defineUpdate<InviteState, [InviteActor]>(inviteUpdateNames.decline);
export const revokeInvite = defineUpdate<InviteState, [InviteActor]>(inviteUpdateNames.revoke);
export const approveInvite = defineUpdate<InviteState, [InviteActor]>(inviteUpdateNames.approve);
export const rejectInvite = defineUpdate<InviteState, [InviteActor]>(inviteUpdateNames.reject);
export const inviteStateQuery = defineQuery<InviteState>(INVITE_STATE_QUERY);

/** States in which the workflow is adding the member; an answer waits until they pass. */
const TRANSIENT: readonly InviteStatus[] = ['accepting', 'approving'];

/** The type a failed activity gave (a callee's problem code), or `fallback`. */
function failureType(err: ActivityFailure, fallback: string): string {
  return err.cause instanceof ApplicationFailure && err.cause.type ? err.cause.type : fallback;
}

function refuse(type: string): never {
  throw ApplicationFailure.create({ type, message: type, nonRetryable: true });
}

/**
 * One invite from start to end: it is sent, reminded once if unanswered by `remindAt`, and lapses
 * at `expiresAt`. The invitee accepts or declines, an admin revokes; a group that requires approval
 * holds an acceptance until an admin approves or rejects it. Acceptance adds the member through the
 * chat service. Every answer is an update, so the caller learns the outcome at once; validators
 * refuse an answer the state does not allow before anything is written to the history.
 */
export async function inviteLifecycle(input: InviteWorkflowInput): Promise<InviteState> {
  const state: InviteState = {
    inviteId: input.inviteId,
    status: 'pending',
    inviteeUserId: input.inviteeUserId,
    decidedBy: null,
    failureCode: null,
    remindedAt: null,
    version: 1,
    updatedAt: new Date().toISOString(),
  };
  const change = (changes: Partial<InviteState>) => {
    Object.assign(state, changes, { version: state.version + 1, updatedAt: new Date().toISOString() });
  };
  const snapshot = (): InviteState => ({ ...state });
  const settled = () => condition(() => !TRANSIENT.includes(state.status));
  const validator =
    (action: InviteAction) =>
    ({ userId }: InviteActor) => {
      const refusal = inviteRefusal(action, state, input.inviteeUserId, userId);
      if (refusal) refuse(refusal);
    };

  setHandler(inviteStateQuery, snapshot);

  setHandler(
    acceptInvite,
    async ({ userId }) => {
      if (state.status === 'pending') change({ status: 'accepting', inviteeUserId: userId });
      await settled();
      return snapshot();
    },
    { validator: validator('accept') },
  );

  setHandler(
    declineInvite,
    async ({ userId }) => {
      if (state.status === 'pending') change({ status: 'declined', inviteeUserId: userId });
      return snapshot();
    },
    { validator: validator('decline') },
  );

  setHandler(
    revokeInvite,
    async ({ userId }) => {
      if (state.status === 'pending' || state.status === 'awaiting_approval') {
        change({ status: 'revoked', decidedBy: userId });
      }
      return snapshot();
    },
    { validator: validator('revoke') },
  );

  setHandler(
    approveInvite,
    async ({ userId }) => {
      if (state.status === 'awaiting_approval') change({ status: 'approving', decidedBy: userId });
      await settled();
      return snapshot();
    },
    { validator: validator('approve') },
  );

  setHandler(
    rejectInvite,
    async ({ userId }) => {
      if (state.status === 'awaiting_approval') change({ status: 'rejected', decidedBy: userId });
      return snapshot();
    },
    { validator: validator('reject') },
  );

  const show = () => {
    upsertMemo({ status: state.status });
    setCurrentDetails(
      `Invite ${input.inviteId} (${input.channel}) to ${input.conversationId}: **${state.status}**`,
    );
  };
  const record = async () => {
    show();
    await recordInvite(snapshot());
  };
  const answered = () => state.status !== 'pending';
  // A timer needs a positive duration; a moment already past fires at once.
  const until = (iso: string) => Math.max(1, Date.parse(iso) - new Date().getTime());

  show();
  try {
    await deliverInvite({ inviteId: input.inviteId, kind: 'initial' });
  } catch (err) {
    // An invitation that cannot go out (no SMS provider, an address refused for good) ends here.
    if (!(err instanceof ActivityFailure)) throw err;
    if (state.status === 'pending')
      change({ status: 'failed', failureCode: failureType(err, 'INVITE_UNDELIVERABLE') });
  }
  await record();

  if (input.remindAt !== null && !(await condition(answered, until(input.remindAt)))) {
    try {
      await deliverInvite({ inviteId: input.inviteId, kind: 'reminder' });
      change({ remindedAt: new Date().toISOString() });
      await record();
    } catch (err) {
      // A reminder that cannot go out leaves the invite as it was.
      if (!(err instanceof ActivityFailure)) throw err;
    }
  }
  if (!(await condition(answered, until(input.expiresAt)))) change({ status: 'expired' });

  const awaitApproval = async () => {
    change({ status: 'awaiting_approval' });
    await record();
    const decided = await condition(() => state.status !== 'awaiting_approval', input.approvalWindowMs);
    if (!decided) change({ status: 'expired' });
  };

  if (state.status === 'accepting') {
    const policy = await joinPolicy({ conversationId: input.conversationId, inviterId: input.inviterId });
    if (policy.requiresApproval) await awaitApproval();
  }

  while (state.status === 'accepting' || state.status === 'approving') {
    try {
      await admitInvitee({
        inviteId: input.inviteId,
        conversationId: input.conversationId,
        userId: state.inviteeUserId as string,
        inviterId: input.inviterId,
        approverId: state.status === 'approving' ? state.decidedBy : null,
      });
      change({ status: 'accepted' });
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      const code = failureType(err, 'INVITE_JOIN_FAILED');
      // The group began to require approval after its rule was read: wait for an admin after all.
      if (code === 'CHAT_APPROVAL_REQUIRED' && state.status === 'accepting') await awaitApproval();
      else change({ status: 'failed', failureCode: code });
    }
  }

  await record();
  // Answers still waiting on the outcome get it before the workflow closes.
  await condition(allHandlersFinished);
  return snapshot();
}

/**
 * What the invite workflow and the notification service agree on: its input, its state, and the
 * names of its updates and query. Plain types and constants only, so services import them freely.
 */

export type InviteChannel = 'in_app' | 'email' | 'sms';

/**
 * `accepting` and `approving` last only while the member is being added; every other state is
 * what an answer can see. The last five end the workflow.
 */
export type InviteStatus =
  | 'pending'
  | 'accepting'
  | 'awaiting_approval'
  | 'approving'
  | 'accepted'
  | 'declined'
  | 'revoked'
  | 'rejected'
  | 'expired'
  | 'failed';

export const FINAL_INVITE_STATUSES: readonly InviteStatus[] = [
  'accepted',
  'declined',
  'revoked',
  'rejected',
  'expired',
  'failed',
];

export interface InviteWorkflowInput {
  inviteId: string;
  conversationId: string;
  inviterId: string;
  channel: InviteChannel;
  /** The one user who may answer an in-app invite; null for a link, bound by its first use. */
  inviteeUserId: string | null;
  /** When to remind an invitee who has not answered (ISO 8601), or null for no reminder. */
  remindAt: string | null;
  /** When an unanswered invite lapses (ISO 8601). */
  expiresAt: string;
  /** How long an accepted invite waits for an admin's approval before it lapses. */
  approvalWindowMs: number;
}

export interface InviteState {
  inviteId: string;
  status: InviteStatus;
  /** Who answered: the in-app invitee, or the user who first used the link. */
  inviteeUserId: string | null;
  /** The admin who revoked, approved or rejected. */
  decidedBy: string | null;
  /** Why joining failed (a chat error code), for `failed`. */
  failureCode: string | null;
  remindedAt: string | null;
  /** Raised on every change, so a stale copy never overwrites a newer one. */
  version: number;
  updatedAt: string;
}

/** Who asks for a change: the API checked their right to, the workflow checks the invite's state. */
export interface InviteActor {
  userId: string;
}

export const inviteUpdateNames = {
  accept: 'accept',
  decline: 'decline',
  revoke: 'revoke',
  approve: 'approve',
  reject: 'reject',
} as const;

export type InviteAction = keyof typeof inviteUpdateNames;

export const INVITE_STATE_QUERY = 'state';

/**
 * Failure types of refused updates; they are the API's problem codes. Each names why the invite's
 * state refuses the action.
 */
export const InviteRefusals = {
  notYours: 'INVITE_NOT_FOUND',
  linkUsed: 'INVITE_LINK_USED',
  declined: 'INVITE_DECLINED',
  revoked: 'INVITE_REVOKED',
  rejected: 'INVITE_REJECTED',
  expired: 'INVITE_EXPIRED',
  failed: 'INVITE_FAILED',
  alreadyAnswered: 'INVITE_ALREADY_ANSWERED',
  notAwaitingApproval: 'INVITE_NOT_AWAITING_APPROVAL',
} as const;

export type InviteDeliveryKind = 'initial' | 'reminder';

const CLOSED_REFUSAL: Partial<Record<InviteStatus, string>> = {
  declined: InviteRefusals.declined,
  revoked: InviteRefusals.revoked,
  rejected: InviteRefusals.rejected,
  expired: InviteRefusals.expired,
  failed: InviteRefusals.failed,
};

/**
 * Why an invite in `state` refuses `action` by `userId`, or null when the action may proceed. A
 * repeat of an answer already given (a second accept by the same user, say) is allowed, and is
 * answered with the state as it is. The workflow's update validators and the API, answering for
 * an invite whose workflow has closed, both decide with this.
 */
export function inviteRefusal(
  action: InviteAction,
  state: Pick<InviteState, 'status' | 'inviteeUserId' | 'decidedBy'>,
  boundInviteeUserId: string | null,
  userId: string,
): string | null {
  const { status } = state;
  const closed = CLOSED_REFUSAL[status] ?? null;
  switch (action) {
    case 'accept':
      if (boundInviteeUserId !== null && boundInviteeUserId !== userId) return InviteRefusals.notYours;
      if (closed) return closed;
      if (status !== 'pending' && state.inviteeUserId !== userId) return InviteRefusals.linkUsed;
      return null;
    case 'decline':
      if (boundInviteeUserId !== null && boundInviteeUserId !== userId) return InviteRefusals.notYours;
      if (status === 'declined' && state.inviteeUserId === userId) return null;
      if (closed) return closed;
      return status === 'pending' ? null : InviteRefusals.alreadyAnswered;
    case 'revoke':
      if (status === 'revoked') return null;
      if (closed) return closed;
      return status === 'pending' || status === 'awaiting_approval' ? null : InviteRefusals.alreadyAnswered;
    case 'approve':
      if (closed) return closed;
      if (status === 'approving' || (status === 'accepted' && state.decidedBy !== null)) return null;
      return status === 'awaiting_approval' ? null : InviteRefusals.notAwaitingApproval;
    case 'reject':
      if (status === 'rejected') return null;
      if (closed) return closed;
      return status === 'awaiting_approval' ? null : InviteRefusals.notAwaitingApproval;
  }
}

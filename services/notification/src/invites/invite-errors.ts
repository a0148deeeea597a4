import { AppError } from '@parley/service-kit';

/** Codes the invite API answers with; the README's "Invites" section lists them. */
const STATUS: Record<string, number> = {
  INVITE_NOT_FOUND: 404,
  INVITE_CONVERSATION_NOT_FOUND: 404,
  INVITE_USER_NOT_FOUND: 404,
  INVITE_ADMIN_REQUIRED: 403,
  INVITE_USER_BLOCKED: 403,
  INVITE_NOT_A_GROUP: 409,
  INVITE_ALREADY_MEMBER: 409,
  INVITE_CHANNEL_UNAVAILABLE: 409,
  INVITE_LIMIT_REACHED: 409,
  INVITE_LINK_INVALID: 400,
  INVITE_LINK_USED: 409,
  INVITE_DECLINED: 409,
  INVITE_REJECTED: 409,
  INVITE_FAILED: 409,
  INVITE_ALREADY_ANSWERED: 409,
  INVITE_NOT_AWAITING_APPROVAL: 409,
  INVITE_REVOKED: 410,
  INVITE_EXPIRED: 410,
  INVITE_CREATION_PENDING: 503,
};

const MESSAGES: Record<string, string> = {
  INVITE_NOT_FOUND: 'No such invite.',
  INVITE_CONVERSATION_NOT_FOUND: 'No such conversation.',
  INVITE_USER_NOT_FOUND: 'No user has this username.',
  INVITE_ADMIN_REQUIRED: 'Only admins of the group do this.',
  INVITE_USER_BLOCKED: 'You and this user cannot message each other.',
  INVITE_NOT_A_GROUP: 'Only groups take invites.',
  INVITE_ALREADY_MEMBER: 'This user is already a member.',
  INVITE_CHANNEL_UNAVAILABLE: 'Invites by phone need SMS, which is not configured.',
  INVITE_LIMIT_REACHED: 'This group has as many open invites as it may; revoke some first.',
  INVITE_LINK_INVALID: 'This invite link is not valid.',
  INVITE_LINK_USED: 'This invite was already used by someone else.',
  INVITE_DECLINED: 'This invite was declined.',
  INVITE_REJECTED: 'An admin rejected this request to join.',
  INVITE_FAILED: 'Joining the group failed.',
  INVITE_ALREADY_ANSWERED: 'This invite was already answered.',
  INVITE_NOT_AWAITING_APPROVAL: 'This invite is not waiting for approval.',
  INVITE_REVOKED: 'This invite was revoked.',
  INVITE_EXPIRED: 'This invite has expired.',
  INVITE_CREATION_PENDING:
    'This invite is still being made; repeat the request (with the same x-request-id) for it.',
};

export class InviteError extends AppError {
  constructor(code: string, context: Record<string, unknown> = {}) {
    super(code, STATUS[code] ?? 409, MESSAGES[code] ?? code, context);
    this.name = 'InviteError';
  }
}

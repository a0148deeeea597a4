import { api } from '../api/http';

export type InviteStatus =
  | 'pending'
  | 'accepting'
  | 'awaiting_approval'
  | 'approving'
  | 'accepted'
  | 'declined'
  | 'rejected'
  | 'revoked'
  | 'expired'
  | 'failed';

export interface Invite {
  id: string;
  conversationId: string;
  conversationName: string | null;
  inviterId: string;
  inviterName: string | null;
  channel: 'in_app' | 'email' | 'sms' | string;
  target: { username?: string; email?: string; phone?: string };
  inviteeUserId: string | null;
  status: InviteStatus;
  failureCode: string | null;
  expiresAt: string;
  createdAt: string;
}

export type InviteAction = 'accept' | 'decline' | 'revoke' | 'approve' | 'reject';

export const STATUS_LABELS: Record<string, string> = {
  pending: 'waiting for an answer',
  accepting: 'joining',
  awaiting_approval: 'waiting for approval',
  approving: 'being approved',
  accepted: 'joined',
  declined: 'declined',
  rejected: 'rejected',
  revoked: 'withdrawn',
  expired: 'expired',
  failed: 'failed',
};

export const listInvites = (query: { status?: 'open' | 'all'; conversationId?: string } = {}) =>
  api<{ items: Invite[] }>('/invites', { query }).then((r) => r.items);

export const createInvite = (conversationId: string, target: Invite['target']) =>
  api<Invite>('/invites', { body: { conversationId, ...target } });

export const actOnInvite = (id: string, action: InviteAction) =>
  api<Invite>(`/invites/${id}/${action}`, { method: 'POST' });

export const acceptLink = (token: string) => api<Invite>('/invites/accept-link', { body: { token } });

/** Where an invite link's token waits while its holder logs in or registers. */
export const PENDING_INVITE_KEY = 'parley.inviteToken';

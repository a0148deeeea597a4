import type { InviteDeliveryKind } from '@parley/workflows';
import type { InviteDoc } from './invite-store';

/** Names come from users; in a subject or an SMS they lose control characters and excess length. */
function plain(text: string, max: number): string {
  const flat = text.replace(/\p{Cc}+/gu, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function inviteLink(publicUrl: string, token: string): string {
  return new URL(`/invite#token=${token}`, publicUrl).toString();
}

export function inviteEmail(invite: InviteDoc, kind: InviteDeliveryKind, link: string) {
  const inviter = plain(invite.inviterName, 64);
  const group = plain(invite.conversationName, 100);
  const prefix = kind === 'reminder' ? 'Reminder: ' : '';
  return {
    subject: `${prefix}${inviter} invited you to ${group} on Parley`,
    text: [
      'Hello,',
      '',
      `${inviter} invited you to join the group "${group}" on Parley.`,
      '',
      `Join the group: ${link}`,
      '',
      'Without a Parley account, the link lets you create one first. It works once and expires on',
      `${invite.expiresAt.toUTCString()}.`,
      '',
      'If you did not expect this, ignore this email.',
    ].join('\n'),
  };
}

export function inviteSms(invite: InviteDoc, kind: InviteDeliveryKind, link: string): string {
  const inviter = plain(invite.inviterName, 32);
  const group = plain(invite.conversationName, 40);
  const prefix = kind === 'reminder' ? 'Reminder: ' : '';
  return `${prefix}${inviter} invited you to "${group}" on Parley: ${link}`;
}

/**
 * Inviting people who are not members yet, by username, email or phone.
 * TODO(invites): needs the invites API (/api/v1/invites); until it exists, members are added
 * directly with the picker above.
 */
export function InvitePanel(_props: { conversationId: string }) {
  return null;
}

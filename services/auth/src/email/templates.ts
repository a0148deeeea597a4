import type { OutgoingEmail } from './email-client';

interface Recipient {
  email: string;
  displayName: string;
}

/**
 * The account emails. Links carry the token in the fragment, so it never reaches a server log; the
 * web client reads it and posts it to the API. Opening a link changes nothing by itself, so mail
 * scanners that prefetch links cannot use them up.
 */
export function verificationEmail(
  publicUrl: string,
  to: Recipient,
  token: string,
  key: string,
): OutgoingEmail {
  const link = new URL(`/verify-email#token=${token}`, publicUrl).toString();
  return {
    idempotencyKey: key,
    to: { address: to.email, name: to.displayName },
    subject: 'Confirm your email address for Parley',
    text:
      `Hello ${to.displayName},\n\nconfirm your email address by opening this link:\n\n${link}\n\n` +
      'If you did not create a Parley account, ignore this email.\n',
  };
}

export function passwordResetEmail(
  publicUrl: string,
  to: Recipient,
  token: string,
  key: string,
): OutgoingEmail {
  const link = new URL(`/reset-password#token=${token}`, publicUrl).toString();
  return {
    idempotencyKey: key,
    to: { address: to.email, name: to.displayName },
    subject: 'Reset your Parley password',
    text:
      `Hello ${to.displayName},\n\nchoose a new password by opening this link:\n\n${link}\n\n` +
      'Resetting it logs you out everywhere. If you did not ask for this, ignore this email.\n',
  };
}

import { eventually } from './stack';

/** A message as MailDev's web API lists it. */
export interface CaughtEmail {
  id: string;
  subject: string;
  text: string;
  messageId?: string;
  to: { address: string; name: string }[];
  headers: Record<string, string>;
}

/** Every email the stack's mail catcher received, addressed to `address`. */
export async function emailsTo(mailWebPort: number, address: string): Promise<CaughtEmail[]> {
  const res = await fetch(`http://127.0.0.1:${mailWebPort}/email`);
  const all = (await res.json()) as CaughtEmail[];
  return all.filter((mail) => mail.to.some((to) => to.address.toLowerCase() === address.toLowerCase()));
}

/** Waits for an email to `address` whose subject matches, and returns it. */
export function waitForEmail(mailWebPort: number, address: string, subject: RegExp): Promise<CaughtEmail> {
  return eventually(async () => {
    const found = (await emailsTo(mailWebPort, address)).filter((mail) => subject.test(mail.subject));
    return found.at(-1);
  });
}

/** The token in the fragment of the first link of an email (`...#token=...`). */
export function linkToken(mail: CaughtEmail): string {
  const token = /#token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
  if (!token) throw new Error(`no link token in: ${mail.text}`);
  return token;
}

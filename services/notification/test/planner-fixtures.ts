import type { Contact, Directory, MemberView } from '../src/delivery/directory';
import { Planner } from '../src/delivery/planner';
import { type DeliveryStore, deliveryId } from '../src/delivery/store';

/** The one recipient of the planner tests: a verified email, no phone. */
export const contact: Contact = {
  userId: 'u_bob',
  displayName: 'Bob',
  email: 'bob@example.test',
  emailVerified: true,
  phone: null,
  timeZone: null,
};

const view: MemberView = {
  id: 'c_1',
  type: 'direct',
  name: null,
  lastSeq: 0,
  me: { readSeq: 0, muted: false },
};

/** A directory that knows the recipient, a sender named Alice and a direct conversation c_1. */
export const directory: Directory = {
  contact: async () => contact,
  displayName: async () => 'Alice',
  conversationAs: async () => view,
  newestMessagesAs: async () => [],
};

/** A planner over the test store, with the clock given when a test needs one. */
export function plannerFor(store: DeliveryStore, now?: () => Date): Planner {
  return new Planner({
    store,
    directory,
    config: {
      PUBLIC_URL: 'http://127.0.0.1:1',
      NOTIFICATION_LINK_SECRET: 'x'.repeat(32),
      VAPID_PUBLIC_KEY: '',
    },
    ...(now ? { now } : {}),
  });
}

/** Ledger entries for direct messages m_<seq> of c_1 from Alice to the recipient. */
export async function insertDeliveries(store: DeliveryStore, seqs: number[], createdAt: Date): Promise<void> {
  for (const seq of seqs) {
    await store.deliveries.insertOne({
      _id: deliveryId(`m_${seq}`, contact.userId),
      messageId: `m_${seq}`,
      conversationId: 'c_1',
      seq,
      senderId: 'u_alice',
      senderName: 'Alice',
      snippet: `message ${seq}`,
      recipientId: contact.userId,
      kind: 'direct',
      urgent: true,
      createdAt,
    });
  }
}

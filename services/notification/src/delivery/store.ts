import type { NotifyKind, NotifyStep } from '@parley/workflows';
import type { Collection, Db } from 'mongodb';
import type { Preferences } from '../preferences/schemas';

/** A recipient's stored preferences; absent fields take the defaults. */
export interface PreferencesDoc extends Partial<Preferences> {
  _id: string;
  updatedAt: Date;
}

/** A per-conversation level, `${userId}:${conversationId}`. */
export interface ConversationPreferenceDoc {
  _id: string;
  userId: string;
  conversationId: string;
  level: Preferences['level'];
  updatedAt: Date;
}

export const conversationPreferenceId = (userId: string, conversationId: string) =>
  `${userId}:${conversationId}`;

export interface PushSubscriptionDoc {
  /** Derived from the user and the endpoint, so registering twice keeps one. */
  _id: string;
  userId: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
  createdAt: Date;
  /** Set on subscriptions registered since endpoint owners are recorded (`push_endpoints`). */
  ownerRecorded?: boolean;
  /**
   * When a registration last stored it, before admitting it to the user's `push_slots`: absent on
   * subscriptions stored before this was kept. One no list names and stored long enough ago was
   * left by a crash between the two, and is removed (see `push/subscription-slots.ts`).
   */
  storedAt?: Date;
}

/**
 * The subscriptions a user holds, by user id, in the order they were admitted: only an id among
 * the first `MAX_SUBSCRIPTIONS` keeps its place (see `push/subscription-slots.ts`).
 */
export interface PushSlotsDoc {
  _id: string;
  ids: string[];
}

/** Which account a browser's push endpoint belongs to, by a hash of the endpoint. */
export interface PushEndpointDoc {
  _id: string;
  userId: string;
  at: Date;
}

export type TimelineEvent =
  | 'queued'
  | 'delivered'
  | 'read'
  | 'pushed'
  | 'emailed'
  | 'texted'
  | 'deferred'
  | 'sms-status'
  | 'deleted'
  | 'failed';

export interface TimelineEntry {
  /** Makes adding the same entry twice (a redelivered event, a retried call) harmless. */
  key: string;
  at: Date;
  event: TimelineEvent;
  channel: NotifyStep | null;
  detail: string | null;
}

/** The delivery ledger: one document per message and recipient, `${messageId}:${recipientId}`. */
export interface DeliveryDoc {
  _id: string;
  messageId: string;
  conversationId: string;
  seq: number;
  senderId: string;
  senderName: string;
  /**
   * The start of the message text as created, for the notification itself. Plans quote the newest
   * edit instead when it is newer than `textVersion` (`edited_messages`); entries written before
   * edits were kept apart may hold an edit's text here.
   */
  snippet: string;
  /** The message version the snippet is from; absent on entries written before edits were followed. */
  textVersion?: number;
  recipientId: string;
  kind: NotifyKind;
  urgent: boolean;
  createdAt: Date;
  /**
   * Set on an entry an edit opened, for a user the edit newly mentioned: `false` until the
   * recipient's workflow was signalled, then `true`, so later edits keeping the mention add nothing.
   */
  mentionedByEdit?: { signalled: boolean };
}

/** A message deleted in chat: nothing more is sent for it. `_id` is the message id. */
export interface DeletedMessageDoc {
  _id: string;
  conversationId: string;
  deletedAt: Date;
}

/**
 * The edits of a message, for the plans to quote its newest text. `_id` is the message id.
 * `version` is the newest version seen and `snippets` holds each edit's text by its version, so
 * edits arriving in any order are each one write on `_id` and `snippets[version]` is the newest.
 */
export interface EditedMessageDoc {
  _id: string;
  version: number;
  snippets?: Record<string, string>;
  /** The text of `version`, on documents written before `snippets` (then the only edit kept). */
  snippet?: string;
}

/**
 * Who a message's deliveries are for, written by its creation before the deliveries: a deletion
 * finds them by `_id` (`${messageId}:${recipientId}`) from here. `_id` is the message id.
 */
export interface MessageRecipientsDoc {
  _id: string;
  conversationId: string;
  senderId: string;
  recipientIds: string[];
  createdAt: Date;
}

/**
 * How far a user has read a conversation, from read receipts: `<userId>:<conversationId>`. A read
 * may arrive before the message it covers (two topics, no order between them); a late message
 * then finds itself already read here.
 */
export interface ReadMarkDoc {
  _id: string;
  seq: number;
  at: Date;
}

export const readMarkId = (userId: string, conversationId: string) => `${userId}:${conversationId}`;

/**
 * One entry of a delivery's timeline, `${deliveryId}|${key}`: a separate document per entry, so
 * adding the same one twice is a duplicate-key no-op on any MongoDB-compatible server.
 */
export interface DeliveryEventDoc extends TimelineEntry {
  _id: string;
  deliveryId: string;
  messageId: string;
}

/** A provider call's record: the intent before it, the outcome after it. `_id` is the idempotency key. */
export interface SendDoc {
  _id: string;
  /** Short hash of the key: names the send in Twilio status callback URLs. */
  ref: string;
  userId: string;
  channel: NotifyStep;
  messageIds: string[];
  state: 'intent' | 'sent' | 'failed';
  intentAt: Date;
  attempts: number;
  providerId: string | null;
  reason: string | null;
  finishedAt: Date | null;
}

export interface DeliveryStore {
  preferences: Collection<PreferencesDoc>;
  conversationPreferences: Collection<ConversationPreferenceDoc>;
  pushSubscriptions: Collection<PushSubscriptionDoc>;
  pushSlots: Collection<PushSlotsDoc>;
  pushEndpoints: Collection<PushEndpointDoc>;
  deliveries: Collection<DeliveryDoc>;
  deliveryEvents: Collection<DeliveryEventDoc>;
  deletedMessages: Collection<DeletedMessageDoc>;
  editedMessages: Collection<EditedMessageDoc>;
  messageRecipients: Collection<MessageRecipientsDoc>;
  readMarks: Collection<ReadMarkDoc>;
  /**
   * How far each recipient's receipts of each kind were written into the timelines, by
   * `${userId}:${conversationId}:${kind}`: a receipt looks at the deliveries after it by `_id`.
   */
  receiptMarks: Collection<ReadMarkDoc>;
  sends: Collection<SendDoc>;
}

/** Opens the collections and creates the indexes queries rely on. */
export async function openDeliveryStore(db: Db): Promise<DeliveryStore> {
  const store: DeliveryStore = {
    preferences: db.collection('preferences'),
    conversationPreferences: db.collection('conversation_preferences'),
    pushSubscriptions: db.collection('push_subscriptions'),
    pushSlots: db.collection('push_slots'),
    pushEndpoints: db.collection('push_endpoints'),
    deliveries: db.collection('deliveries'),
    deliveryEvents: db.collection('delivery_events'),
    deletedMessages: db.collection('deleted_messages'),
    editedMessages: db.collection('edited_messages'),
    messageRecipients: db.collection('message_recipients'),
    readMarks: db.collection('read_marks'),
    receiptMarks: db.collection('receipt_marks'),
    sends: db.collection('sends'),
  };
  await store.conversationPreferences.createIndex({ userId: 1 });
  await store.pushSubscriptions.createIndex({ userId: 1 });
  await store.pushSubscriptions.createIndex({ endpoint: 1 });
  await store.deliveries.createIndex({ messageId: 1 });
  await store.deliveries.createIndex({ recipientId: 1, conversationId: 1, seq: 1 });
  await store.deliveryEvents.createIndex({ messageId: 1 });
  await store.sends.createIndex({ ref: 1 }, { unique: true });
  return store;
}

export const deliveryId = (messageId: string, recipientId: string) => `${messageId}:${recipientId}`;

const DUPLICATE_KEY = 11000;

/** Adds an entry to the timelines of the given deliveries (`messageId:recipientId`), once per key. */
export async function addTimeline(store: DeliveryStore, ids: string[], entry: TimelineEntry): Promise<void> {
  if (ids.length === 0) return;
  const docs = ids.map((id) => ({
    _id: `${id}|${entry.key}`,
    deliveryId: id,
    messageId: id.slice(0, id.indexOf(':')),
    ...entry,
  }));
  try {
    await store.deliveryEvents.insertMany(docs, { ordered: false });
  } catch (err) {
    const errors = (err as { writeErrors?: { code?: number }[] | { code?: number } }).writeErrors;
    const list = Array.isArray(errors) ? errors : errors ? [errors] : [];
    const onlyDuplicates =
      (err as { code?: number }).code === DUPLICATE_KEY ||
      (list.length > 0 && list.every((e) => e.code === DUPLICATE_KEY));
    if (!onlyDuplicates) throw err;
  }
}

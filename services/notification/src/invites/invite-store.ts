import type { InviteChannel, InviteState, InviteStatus } from '@parley/workflows';
import { isDuplicateKey, upsertRetried } from '@parley/service-kit';
import { type Collection, type Db } from 'mongodb';

export type InviteTarget =
  { kind: 'username'; value: string } | { kind: 'email'; value: string } | { kind: 'phone'; value: string };

export interface InviteDoc {
  _id: string;
  conversationId: string;
  /** The group's name when the invite was made, for the invitation's text. */
  conversationName: string;
  inviterId: string;
  inviterName: string;
  channel: InviteChannel;
  target: InviteTarget;
  /** The in-app invitee from the start; for a link, whoever first used it. */
  inviteeUserId: string | null;
  /** Half of the link's secret part; a link is honoured only while it matches. */
  nonce: string;
  /** The key of `invite_keys` holding this invite open, so the same invite is not made twice. */
  openKey: string;
  status: InviteStatus;
  decidedBy: string | null;
  failureCode: string | null;
  remindedAt: Date | null;
  expiresAt: Date;
  /** The workflow's version of the state last recorded here. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** One open invite per group and target: its `_id` is the pair, held until the invite closes. */
export interface InviteKeyDoc {
  _id: string;
  inviteId: string;
  /** The request that made the invite and its sender, so a retry of it is known as such. */
  requestId: string | null;
  inviterId: string;
  claimedAt: Date;
}

/**
 * A group's open invites, for its cap: the ids in the order they claimed a place. Kept apart from
 * `invites` so that a creation reads and writes one document by `_id` instead of counting.
 */
interface InviteCountDoc {
  _id: string;
  open: string[];
}

/**
 * An account whose deletion reached the invites, by its user id: written before its open invites
 * are listed, so a creation that stored its invite after that listing finds it (see `Invites.create`).
 */
interface AccountDeletionDoc {
  _id: string;
  deletedAt: Date;
}

/** How long a slot whose invite is not stored yet counts as a creation still under way. */
const IN_FLIGHT_MS = 60_000;

export const OPEN_STATUSES: readonly InviteStatus[] = [
  'pending',
  'accepting',
  'awaiting_approval',
  'approving',
];

/**
 * Invites as the API lists them. The workflow owns each invite's state and records every change
 * here with a rising version, so an older record never overwrites a newer one.
 */
export class InviteStore {
  readonly invites: Collection<InviteDoc>;
  private readonly keys: Collection<InviteKeyDoc>;
  private readonly counts: Collection<InviteCountDoc>;
  private readonly deletions: Collection<AccountDeletionDoc>;

  constructor(db: Db) {
    this.invites = db.collection<InviteDoc>('invites');
    this.keys = db.collection<InviteKeyDoc>('invite_keys');
    this.counts = db.collection<InviteCountDoc>('invite_counts');
    this.deletions = db.collection<AccountDeletionDoc>('invite_account_deletions');
  }

  async ensureIndexes(): Promise<void> {
    await this.invites.createIndex({ inviteeUserId: 1, createdAt: -1 }, { name: 'invitee_created' });
    await this.invites.createIndex({ conversationId: 1, createdAt: -1 }, { name: 'conversation_created' });
    await this.invites.createIndex({ inviterId: 1, createdAt: -1 }, { name: 'inviter_created' });
  }

  /**
   * Claims the open slot for a group and target. Returns the slot already held by another invite
   * (or by a creation still under way), or null when the slot is now `key.inviteId`'s. A slot whose
   * invite has closed, or whose creation was abandoned half-way, is taken over.
   */
  async claim(key: Omit<InviteKeyDoc, 'claimedAt'>): Promise<InviteKeyDoc | null> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.keys.insertOne({ ...key, claimedAt: new Date() });
        return null;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const holder = await this.keys.findOne({ _id: key._id });
      if (!holder) continue;
      const invite = await this.get(holder.inviteId);
      if (invite && OPEN_STATUSES.includes(invite.status)) return holder;
      // No record yet: another creation is between its claim and its insert, unless long gone.
      if (!invite && Date.now() - holder.claimedAt.getTime() < IN_FLIGHT_MS) return holder;
      await this.release(key._id, holder.inviteId);
    }
    throw new Error(`could not claim invite slot ${key._id}`);
  }

  /** The invite holding a slot, if any. */
  async holderOf(openKey: string): Promise<string | null> {
    return (await this.keys.findOne({ _id: openKey }))?.inviteId ?? null;
  }

  /**
   * Frees the slot if `inviteId` still holds it. A find-and-delete rather than a delete: the dev
   * store (FerretDB) looks up `_id` for it even beside a second field, while a delete scans.
   */
  async release(openKey: string, inviteId: string): Promise<void> {
    await this.keys.findOneAndDelete({ _id: openKey, inviteId });
  }

  /**
   * Takes one of the group's `limit` places for `inviteId`; false, and nothing held, when all are
   * taken. Atomic under concurrent creations: each place is one `$addToSet` on the group's
   * document, and only an id among the first `limit` of the list keeps its place.
   */
  async admit(conversationId: string, inviteId: string, limit: number): Promise<boolean> {
    let places = await this.counts.findOneAndUpdate(
      { _id: conversationId },
      { $addToSet: { open: inviteId } },
      { returnDocument: 'after' },
    );
    if (!places) {
      await this.startCounting(conversationId);
      places = await this.counts.findOneAndUpdate(
        { _id: conversationId },
        { $addToSet: { open: inviteId } },
        { returnDocument: 'after' },
      );
    }
    if (places && places.open.indexOf(inviteId) < limit) return true;
    await this.discharge(conversationId, inviteId);
    return false;
  }

  /** Gives back an invite's place; repeating it is harmless. */
  async discharge(conversationId: string, inviteId: string): Promise<void> {
    await this.counts.updateOne({ _id: conversationId }, { $pull: { open: inviteId } });
  }

  /**
   * The group's first creation since counting began: its open invites made before are counted
   * once, by the one scan of `invites` the group ever needs.
   */
  private async startCounting(conversationId: string): Promise<void> {
    const open = await this.invites
      .find({ conversationId, status: { $in: [...OPEN_STATUSES] } }, { projection: { _id: 1 } })
      .sort({ createdAt: 1 })
      .toArray();
    try {
      await this.counts.insertOne({ _id: conversationId, open: open.map((invite) => invite._id) });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  async insert(invite: InviteDoc): Promise<void> {
    await this.invites.insertOne(invite);
  }

  async remove(inviteId: string): Promise<void> {
    await this.invites.deleteOne({ _id: inviteId });
  }

  get(inviteId: string): Promise<InviteDoc | null> {
    return this.invites.findOne({ _id: inviteId });
  }

  listForInvitee(userId: string, open: boolean, limit: number): Promise<InviteDoc[]> {
    const filter = open
      ? { inviteeUserId: userId, status: { $in: [...OPEN_STATUSES] } }
      : { inviteeUserId: userId };
    return this.invites.find(filter).sort({ createdAt: -1 }).limit(limit).toArray();
  }

  /** Notes that the account was deleted; repeating it keeps the first time. */
  async recordDeletion(userId: string): Promise<void> {
    await upsertRetried(() =>
      this.deletions.updateOne(
        { _id: userId },
        { $setOnInsert: { deletedAt: new Date() } },
        { upsert: true },
      ),
    );
  }

  /** Whether the account's deletion was recorded, by `_id` alone. */
  async isDeleted(userId: string): Promise<boolean> {
    return (await this.deletions.findOne({ _id: userId }, { projection: { _id: 1 } })) !== null;
  }

  /** The open invites a user made or was sent, oldest first, each once. */
  async openOf(userId: string): Promise<InviteDoc[]> {
    const status = { $in: [...OPEN_STATUSES] };
    const [made, received] = await Promise.all([
      this.invites.find({ inviterId: userId, status }).sort({ createdAt: 1 }).toArray(),
      this.invites.find({ inviteeUserId: userId, status }).sort({ createdAt: 1 }).toArray(),
    ]);
    const unlisted = received.filter((r) => !made.some((m) => m._id === r._id));
    return [...made, ...unlisted];
  }

  listForConversation(conversationId: string, open: boolean, limit: number): Promise<InviteDoc[]> {
    const filter = open ? { conversationId, status: { $in: [...OPEN_STATUSES] } } : { conversationId };
    return this.invites.find(filter).sort({ createdAt: -1 }).limit(limit).toArray();
  }

  /**
   * Applies the workflow's state if it is newer than what is stored; once closed, frees the slot
   * and the group's place (both harmless to repeat, as the workflow and an answer both record).
   */
  async record(state: InviteState): Promise<void> {
    const updated = await this.invites.findOneAndUpdate(
      { _id: state.inviteId, version: { $lt: state.version } },
      {
        $set: fieldsOfState(state),
      },
      { returnDocument: 'after' },
    );
    const invite = updated ?? (await this.get(state.inviteId));
    if (invite && !OPEN_STATUSES.includes(invite.status)) {
      await this.release(invite.openKey, invite._id);
      await this.discharge(invite.conversationId, invite._id);
    }
  }
}

/** The record's fields that the workflow's state decides. */
export function fieldsOfState(state: InviteState) {
  return {
    status: state.status,
    inviteeUserId: state.inviteeUserId,
    decidedBy: state.decidedBy,
    failureCode: state.failureCode,
    remindedAt: state.remindedAt ? new Date(state.remindedAt) : null,
    version: state.version,
    updatedAt: new Date(state.updatedAt),
  };
}

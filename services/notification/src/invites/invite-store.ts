import type { InviteChannel, InviteState, InviteStatus } from '@parley/workflows';
import { type Collection, type Db, MongoServerError } from 'mongodb';

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
interface InviteKeyDoc {
  _id: string;
  inviteId: string;
}

export const OPEN_STATUSES: readonly InviteStatus[] = [
  'pending',
  'accepting',
  'awaiting_approval',
  'approving',
];

function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

/**
 * Invites as the API lists them. The workflow owns each invite's state and records every change
 * here with a rising version, so an older record never overwrites a newer one.
 */
export class InviteStore {
  readonly invites: Collection<InviteDoc>;
  private readonly keys: Collection<InviteKeyDoc>;

  constructor(db: Db) {
    this.invites = db.collection<InviteDoc>('invites');
    this.keys = db.collection<InviteKeyDoc>('invite_keys');
  }

  async ensureIndexes(): Promise<void> {
    await this.invites.createIndex({ inviteeUserId: 1, createdAt: -1 }, { name: 'invitee_created' });
    await this.invites.createIndex({ conversationId: 1, createdAt: -1 }, { name: 'conversation_created' });
  }

  /**
   * Claims the open slot for a group and target. Returns the id of the invite already holding it,
   * or null when the slot is now `inviteId`'s. A slot whose invite has closed is taken over.
   */
  async claim(openKey: string, inviteId: string): Promise<string | null> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.keys.insertOne({ _id: openKey, inviteId });
        return null;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const holder = await this.keys.findOne({ _id: openKey });
      if (!holder) continue;
      const invite = await this.invites.findOne({ _id: holder.inviteId });
      if (invite && OPEN_STATUSES.includes(invite.status)) return invite._id;
      // A slot left by a closed invite, or by a create that failed half-way: free it, try again.
      await this.keys.deleteOne({ _id: openKey, inviteId: holder.inviteId });
    }
    throw new Error(`could not claim invite slot ${openKey}`);
  }

  async release(openKey: string, inviteId: string): Promise<void> {
    await this.keys.deleteOne({ _id: openKey, inviteId });
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

  countOpen(conversationId: string): Promise<number> {
    return this.invites.countDocuments({ conversationId, status: { $in: [...OPEN_STATUSES] } });
  }

  listForInvitee(userId: string, open: boolean, limit: number): Promise<InviteDoc[]> {
    const filter = open
      ? { inviteeUserId: userId, status: { $in: [...OPEN_STATUSES] } }
      : { inviteeUserId: userId };
    return this.invites.find(filter).sort({ createdAt: -1 }).limit(limit).toArray();
  }

  listForConversation(conversationId: string, open: boolean, limit: number): Promise<InviteDoc[]> {
    const filter = open ? { conversationId, status: { $in: [...OPEN_STATUSES] } } : { conversationId };
    return this.invites.find(filter).sort({ createdAt: -1 }).limit(limit).toArray();
  }

  /** Applies the workflow's state if it is newer than what is stored; frees the slot once closed. */
  async record(state: InviteState): Promise<void> {
    const updated = await this.invites.findOneAndUpdate(
      { _id: state.inviteId, version: { $lt: state.version } },
      {
        $set: fieldsOfState(state),
      },
      { returnDocument: 'after' },
    );
    const invite = updated ?? (await this.get(state.inviteId));
    if (invite && !OPEN_STATUSES.includes(invite.status)) await this.release(invite.openKey, invite._id);
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

import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '@parley/service-kit';
import {
  type EmailRequest,
  FINAL_INVITE_STATUSES,
  type InviteAction,
  type InviteDeliveryKind,
  type InviteState,
  TASK_QUEUE,
  inviteRefusal,
  workflowIds,
} from '@parley/workflows';
import type { sendEmail } from '@parley/workflows/dist/workflows';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { InviteSettings } from './invite-config';
import type { InviteDirectory } from './invite-directory';
import { InviteError } from './invite-errors';
import { inviteEmail, inviteLink, inviteSms } from './invite-messages';
import type { CreateInviteBody } from './invite-schemas';
import {
  type InviteDoc,
  type InviteKeyDoc,
  type InviteStore,
  type InviteTarget,
  OPEN_STATUSES,
  fieldsOfState,
} from './invite-store';
import { newInviteId, newNonce, sameNonce, signInviteToken, verifyInviteToken } from './invite-tokens';
import type { InviteWorkflows } from './invite-workflows';

export interface InviteDeps {
  store: InviteStore;
  directory: InviteDirectory;
  workflows: InviteWorkflows;
  temporal: Client;
  settings: InviteSettings;
  logger: Logger;
}

const ADMIN_ROLES = new Set(['owner', 'admin']);

/** How long a creation waits for an invite another request is storing, and how often it looks. */
const IN_FLIGHT_WAIT_MS = 5_000;
const IN_FLIGHT_POLL_MS = 100;

/** An invite as the invitee and the group's admins see it. */
export function inviteView(invite: InviteDoc) {
  return {
    id: invite._id,
    conversationId: invite.conversationId,
    conversationName: invite.conversationName,
    inviterId: invite.inviterId,
    inviterName: invite.inviterName,
    channel: invite.channel,
    target: { [invite.target.kind]: invite.target.value },
    inviteeUserId: invite.inviteeUserId,
    status: invite.status,
    decidedBy: invite.decidedBy,
    failureCode: invite.failureCode,
    remindedAt: invite.remindedAt?.toISOString() ?? null,
    expiresAt: invite.expiresAt.toISOString(),
    createdAt: invite.createdAt.toISOString(),
    updatedAt: invite.updatedAt.toISOString(),
  };
}

export type InviteView = ReturnType<typeof inviteView>;

/** The invite with the workflow's newer state laid over the record. */
function withState(invite: InviteDoc, state: InviteState): InviteDoc {
  if (state.version <= invite.version) return invite;
  return { ...invite, ...fieldsOfState(state) };
}

/**
 * Group invites: who may make, see and answer them. Each invite's lifecycle is its workflow;
 * this class checks the caller's right to act on the invite's group or as its invitee, then asks
 * the workflow, and reads the record the workflow keeps up to date.
 */
export class Invites {
  constructor(private readonly deps: InviteDeps) {}

  /**
   * Makes an invite, or answers the open one already made for this group and target (`created`
   * false). `requestId` names the request: the same request again (a sidecar retrying a call whose
   * first try made the invite but never answered, or a client repeating its `x-request-id`) gets
   * that invite as made by it, `created` true, and nothing is sent twice.
   */
  async create(
    actorId: string,
    body: CreateInviteBody,
    requestId: string | null = null,
  ): Promise<{ view: InviteView; created: boolean }> {
    const { store, directory, settings } = this.deps;
    const admission = await this.requireAdmin(body.conversationId, actorId);
    const target: InviteTarget =
      'username' in body
        ? { kind: 'username', value: body.username }
        : 'email' in body
          ? { kind: 'email', value: body.email }
          : { kind: 'phone', value: body.phone };

    // An account that proved it holds the address gets the invite in the app; anyone else a link.
    const [found, inviterName] = await Promise.all([
      directory.lookup({ [target.kind]: target.value } as { username: string }),
      directory.displayName(actorId),
    ]);
    // The caller's account is gone (its deletion is under way): it is in no group any more.
    if (inviterName === null) {
      throw new InviteError('INVITE_CONVERSATION_NOT_FOUND', { conversationId: body.conversationId });
    }
    const invitee = found?.verified ? found.userId : null;
    if (target.kind === 'username' && !invitee) throw new InviteError('INVITE_USER_NOT_FOUND');
    // Neither of a blocked pair invites the other, as chat lets neither add the other: the account
    // of a username, and the one holding an email address, proved or not (an address belongs to
    // one account at most). A phone number is not: any account may hold it, unproved. The refusal
    // says no more than chat's does, and names no account behind an address.
    const holder = target.kind === 'phone' ? invitee : (found?.userId ?? null);
    if (holder && (await directory.blocked(actorId, holder))) throw new InviteError('INVITE_USER_BLOCKED');
    if (invitee && (await directory.admission(body.conversationId, invitee)).role !== null) {
      throw new InviteError('INVITE_ALREADY_MEMBER', { userId: invitee });
    }
    const channel = invitee ? 'in_app' : target.kind === 'phone' ? 'sms' : 'email';
    if (channel === 'sms' && !settings.smsAvailable) throw new InviteError('INVITE_CHANNEL_UNAVAILABLE');

    const inviteId = newInviteId();
    const openKey = `${body.conversationId}:${invitee ? `user:${invitee}` : `${target.kind}:${target.value}`}`;
    // A slot given up while we waited on it (its creation failed) is claimed again.
    for (let attempt = 0; ; attempt++) {
      const holder = await store.claim({ _id: openKey, inviteId, requestId, inviterId: actorId });
      if (!holder) break;
      const existing = await this.madeBy(holder);
      if (existing) {
        const ours = requestId !== null && holder.requestId === requestId && holder.inviterId === actorId;
        // A retry of a creation that failed while withdrawing its invite finishes the withdrawal.
        if (ours) await this.withdrawIfInviterDeleted(existing);
        return { view: inviteView(existing), created: ours };
      }
      if (attempt === 2) throw new InviteError('INVITE_CREATION_PENDING', { inviteId: holder.inviteId });
    }
    if (!(await store.admit(body.conversationId, inviteId, settings.maxOpenPerGroup))) {
      await store.release(openKey, inviteId);
      throw new InviteError('INVITE_LIMIT_REACHED', { limit: settings.maxOpenPerGroup });
    }
    const now = new Date();
    const invite: InviteDoc = {
      _id: inviteId,
      conversationId: body.conversationId,
      conversationName: admission.conversation.name ?? 'a group',
      inviterId: actorId,
      inviterName,
      channel,
      target,
      inviteeUserId: invitee,
      nonce: newNonce(),
      openKey,
      status: 'pending',
      decidedBy: null,
      failureCode: null,
      remindedAt: null,
      expiresAt: new Date(now.getTime() + settings.expiresAfterMs),
      version: 0,
      createdAt: now,
      updatedAt: now,
    };
    const remindAt = now.getTime() + settings.remindAfterMs;
    try {
      await store.insert(invite);
      await this.deps.workflows.start(
        {
          inviteId,
          conversationId: invite.conversationId,
          inviterId: actorId,
          channel,
          inviteeUserId: invitee,
          remindAt: remindAt < invite.expiresAt.getTime() ? new Date(remindAt).toISOString() : null,
          expiresAt: invite.expiresAt.toISOString(),
          approvalWindowMs: settings.approvalWindowMs,
        },
        `Invite by ${channel.replace('_', '-')} to "${invite.conversationName}"`,
      );
    } catch (err) {
      // Nothing half-made stays behind: no record without its workflow, no slot or place held by neither.
      await store.remove(inviteId).catch(() => undefined);
      await store.release(openKey, inviteId).catch(() => undefined);
      await store.discharge(body.conversationId, inviteId).catch(() => undefined);
      throw err;
    }
    await this.withdrawIfInviterDeleted(invite);
    this.deps.logger.info({ inviteId, conversationId: invite.conversationId, channel }, 'invite created');
    return { view: inviteView(invite), created: true };
  }

  /** The caller's invites, or a group's for one of its admins. */
  async list(
    actorId: string,
    query: { status: 'open' | 'all'; conversationId?: string | undefined; limit: number },
  ): Promise<InviteView[]> {
    const open = query.status === 'open';
    if (query.conversationId) {
      await this.requireAdmin(query.conversationId, actorId);
      return (await this.deps.store.listForConversation(query.conversationId, open, query.limit)).map(
        inviteView,
      );
    }
    return (await this.deps.store.listForInvitee(actorId, open, query.limit)).map(inviteView);
  }

  async get(actorId: string, inviteId: string): Promise<InviteView> {
    const invite = await this.visible(actorId, inviteId);
    if (!OPEN_STATUSES.includes(invite.status)) return inviteView(invite);
    // The workflow knows an answer a moment before the record does; without a worker, the record.
    const answer = await this.deps.workflows.state(inviteId).catch((err: unknown) => {
      this.deps.logger.warn({ err, inviteId }, 'invite state query failed; answering from the record');
      return { closed: true } as const;
    });
    return inviteView('state' in answer ? withState(invite, answer.state) : invite);
  }

  /** Accept or decline (the invitee), revoke, approve or reject (an admin of the group). */
  async act(actorId: string, inviteId: string, action: InviteAction): Promise<InviteView> {
    const invite = await this.visible(actorId, inviteId);
    if (action === 'accept' || action === 'decline') {
      if (invite.channel !== 'in_app' || invite.inviteeUserId !== actorId) {
        throw new InviteError('INVITE_NOT_FOUND', { inviteId });
      }
    } else {
      // The invitee sees the invite but is no member: for them it is a matter of role, not existence.
      await this.requireAdmin(invite.conversationId, actorId).catch((err: unknown) => {
        if (err instanceof InviteError && err.code === 'INVITE_CONVERSATION_NOT_FOUND') {
          throw new InviteError('INVITE_ADMIN_REQUIRED', { conversationId: invite.conversationId });
        }
        throw err;
      });
    }
    return this.answer(invite, action, actorId);
  }

  /** Accepts the invite a link names, for the signed-in caller: the link's first user keeps it. */
  async acceptLink(actorId: string, token: string): Promise<InviteView> {
    const claims = verifyInviteToken(this.deps.settings.linkSecret, token);
    const invite = claims ? await this.deps.store.get(claims.inviteId) : null;
    if (!claims || !invite || invite.channel === 'in_app' || !sameNonce(invite.nonce, claims.nonce)) {
      throw new InviteError('INVITE_LINK_INVALID');
    }
    // A member already in the group does not use up the link meant for someone else.
    const firstUse = invite.status === 'pending' && invite.inviteeUserId === null;
    if (firstUse && (await this.deps.directory.admission(invite.conversationId, actorId)).role) {
      throw new InviteError('INVITE_ALREADY_MEMBER', { userId: actorId });
    }
    return this.answer(invite, 'accept', actorId);
  }

  /** What the workflow sends for an invite: email is started here, an SMS is handed back to send. */
  async delivery(inviteId: string, kind: InviteDeliveryKind) {
    const invite = await this.deps.store.get(inviteId);
    if (!invite) throw new InviteError('INVITE_NOT_FOUND', { inviteId });
    if (invite.channel === 'in_app') return { channel: invite.channel };
    const { linkSecret, publicUrl } = this.deps.settings;
    const link = inviteLink(publicUrl, signInviteToken(linkSecret, invite._id, invite.nonce));
    if (invite.channel === 'sms') {
      return {
        channel: invite.channel,
        sms: { to: invite.target.value, body: inviteSms(invite, kind, link) },
      };
    }
    const email: EmailRequest = {
      idempotencyKey: `invite-${invite._id}-${kind}`,
      to: { address: invite.target.value, name: invite.target.value },
      ...inviteEmail(invite, kind, link),
    };
    try {
      // The durable email path: one workflow per key, never run twice, so a retry sends nothing more.
      await this.deps.temporal.workflow.start<typeof sendEmail>('sendEmail', {
        workflowId: workflowIds.email(email.idempotencyKey),
        taskQueue: TASK_QUEUE,
        args: [email],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    return { channel: invite.channel };
  }

  /**
   * Closes the open invites a deleted account made or was sent: each is revoked in its name, so a
   * link to it answers INVITE_REVOKED, no reminder goes out, and the group's admins see it closed.
   * One whose invitee is being added at this moment is refused by its workflow and left to the add,
   * which fails on the deleted account (chat checks both the invitee and the inviter). `user.deleted`
   * comes at least once; a second run finds only what is still open.
   */
  async accountDeleted(userId: string): Promise<void> {
    // First: a creation that stores its invite after the listing below finds this and withdraws it.
    await this.deps.store.recordDeletion(userId);
    for (const invite of await this.deps.store.openOf(userId)) await this.revokeOfDeleted(invite, userId);
  }

  /** Revokes an invite in the name of the deleted account; one its workflow refuses is left to it. */
  private async revokeOfDeleted(invite: InviteDoc, userId: string): Promise<void> {
    try {
      await this.answer(invite, 'revoke', userId);
    } catch (err) {
      if (!(err instanceof InviteError)) throw err;
      this.deps.logger.info(
        { inviteId: invite._id, userId, code: err.code },
        'invite of a deleted account left to its workflow',
      );
    }
  }

  /**
   * Revokes, as the deletion run does, an invite just made by an account deleted meanwhile, and
   * answers as the creation would a moment later (INVITE_CONVERSATION_NOT_FOUND: the account is in
   * no group). The creation's checks may pass just before the deletion and its insert land after
   * the run listed the account's open invites; the run records the deletion before its listing, so
   * an invite the run did not list finds the record here.
   */
  private async withdrawIfInviterDeleted(invite: InviteDoc): Promise<void> {
    if (!(await this.deps.store.isDeleted(invite.inviterId))) return;
    if (OPEN_STATUSES.includes(invite.status)) await this.revokeOfDeleted(invite, invite.inviterId);
    this.deps.logger.info(
      { inviteId: invite._id, userId: invite.inviterId },
      'invite of a deleted inviter withdrawn',
    );
    throw new InviteError('INVITE_CONVERSATION_NOT_FOUND', { conversationId: invite.conversationId });
  }

  async record(state: InviteState): Promise<void> {
    await this.deps.store.record(state);
  }

  private async answer(invite: InviteDoc, action: InviteAction, actorId: string): Promise<InviteView> {
    const answer = await this.deps.workflows.act(invite._id, action, { userId: actorId });
    let current = invite;
    if ('state' in answer) {
      current = withState(invite, answer.state);
      // The workflow records this state too; writing it now means lists show it once we answer.
      await this.deps.store.record(answer.state);
    } else {
      // The workflow has ended; its last act was to write the final state here.
      current = (await this.deps.store.get(invite._id)) ?? invite;
      if (!FINAL_INVITE_STATUSES.includes(current.status)) throw new InviteError('INVITE_FAILED');
    }
    // Concurrent answers pass their checks together; the state tells whose answer won.
    const refusal = inviteRefusal(
      action,
      current,
      invite.channel === 'in_app' ? invite.inviteeUserId : null,
      actorId,
    );
    if (refusal)
      throw new InviteError(refusal, { inviteId: invite._id, reason: current.failureCode ?? undefined });
    this.deps.logger.info({ inviteId: invite._id, action, status: current.status }, 'invite answered');
    return inviteView(current);
  }

  /** The invite, if the caller is its invitee or an admin of its group; otherwise not found. */
  private async visible(actorId: string, inviteId: string): Promise<InviteDoc> {
    const invite = await this.deps.store.get(inviteId);
    if (!invite) throw new InviteError('INVITE_NOT_FOUND', { inviteId });
    if (invite.inviteeUserId === actorId) return invite;
    const admission = await this.deps.directory
      .admission(invite.conversationId, actorId)
      .catch((err: unknown) => {
        if (err instanceof InviteError) return null;
        throw err;
      });
    if (!admission?.role || !ADMIN_ROLES.has(admission.role))
      throw new InviteError('INVITE_NOT_FOUND', { inviteId });
    return invite;
  }

  /**
   * The invite holding a slot. Its creation may still be under way (the request that claimed it
   * has not stored it yet, as when a sidecar retries a slow first try): wait a little for it. Null
   * when that creation gave the slot up instead.
   */
  private async madeBy(holder: InviteKeyDoc): Promise<InviteDoc | null> {
    const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
    for (;;) {
      const invite = await this.deps.store.get(holder.inviteId);
      if (invite) return invite;
      if ((await this.deps.store.holderOf(holder._id)) !== holder.inviteId) return null;
      if (Date.now() >= deadline) {
        throw new InviteError('INVITE_CREATION_PENDING', { inviteId: holder.inviteId });
      }
      await delay(IN_FLIGHT_POLL_MS);
    }
  }

  private async requireAdmin(conversationId: string, userId: string) {
    const admission = await this.deps.directory.admission(conversationId, userId);
    if (admission.role === null) throw new InviteError('INVITE_CONVERSATION_NOT_FOUND', { conversationId });
    if (admission.conversation.type !== 'group')
      throw new InviteError('INVITE_NOT_A_GROUP', { conversationId });
    if (!ADMIN_ROLES.has(admission.role)) throw new InviteError('INVITE_ADMIN_REQUIRED', { conversationId });
    return admission;
  }
}

import { createHash } from 'node:crypto';
import {
  type ChannelJob,
  type NotifySchedule,
  type NotifyStep,
  type PlanMessage,
  type StepPlan,
  notifySendKey,
  workflowIds,
} from '@parley/workflows';
import { loadPreferences, conversationLevels } from '../preferences/preference-store';
import type { Preferences } from '../preferences/schemas';
import { MAX_SUBSCRIPTIONS, SubscriptionSlots } from '../push/subscription-slots';
import { unsubscribeToken } from '../unsubscribe/links';
import { levelAllows } from './chat-events';
import type { DeliveryConfig } from './config';
import type { Contact, Directory, MemberView } from './directory';
import { inBatches } from './in-batches';
import { quotedSnippet } from './message-edits';
import { quietHoursEnd } from './quiet-hours';
import {
  type DeliveryDoc,
  type DeliveryStore,
  type PushSubscriptionDoc,
  addTimeline,
  deliveryId,
} from './store';

/** Names a send in Twilio status callback URLs without revealing the recipient's id. */
export function sendRef(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 22);
}

/** The public path of Twilio's status callbacks, under the gateway's `/api`. */
export const SMS_STATUS_PATH = '/v1/notifications/sms-status';

export interface PlannerDeps {
  store: DeliveryStore;
  directory: Directory;
  config: Pick<DeliveryConfig, 'PUBLIC_URL' | 'NOTIFICATION_LINK_SECRET' | 'VAPID_PUBLIC_KEY'>;
  now?: () => Date;
}

/**
 * A message whose step is due within this long of now is sent now: the workflow's clock and this
 * service's may differ a little, and holding it back for less would only cost another plan.
 */
const DUE_TOLERANCE_MS = 1_000;

interface Candidate extends PlanMessage {
  view: MemberView;
}

/**
 * Decides, when a step comes due, what the recipient's workflow does: which messages were read
 * meanwhile, which the preferences leave out, which quiet hours defer, and what the rest become
 * (one push per conversation, one digest, one SMS). The workflow only keeps time.
 */
export class Planner {
  private readonly now: () => Date;
  private readonly slots: SubscriptionSlots;

  constructor(private readonly deps: PlannerDeps) {
    this.now = deps.now ?? (() => new Date());
    this.slots = new SubscriptionSlots(deps.store, this.now);
  }

  async schedule(userId: string): Promise<NotifySchedule> {
    const preferences = await loadPreferences(this.deps.store, userId);
    return { delays: preferences.delays };
  }

  async plan(userId: string, step: NotifyStep, messages: PlanMessage[]): Promise<StepPlan> {
    const { store, directory } = this.deps;
    const plan: StepPlan = {
      read: [],
      skipped: [],
      deferred: [],
      deferredUntil: null,
      deliver: [],
      job: null,
    };
    const contact = await directory.contact(userId);
    if (!contact) {
      // The account is gone: nothing is left to notify.
      plan.read = messages.map((m) => m.messageId);
      return plan;
    }
    const preferences = await loadPreferences(store, userId);
    const conversationIds = [...new Set(messages.map((m) => m.conversationId))];
    const [levels, views] = await Promise.all([
      conversationLevels(store, userId, conversationIds),
      Promise.all(
        conversationIds.map(async (id) => [id, await directory.conversationAs(userId, id)] as const),
      ),
    ]);
    const viewOf = new Map(views);
    // By `_id` one at a time: the dev store reads a whole collection for an `$in`.
    const tombstones = await inBatches(messages, (m) =>
      store.deletedMessages.findOne({ _id: m.messageId }, { projection: { _id: 1 } }),
    );
    const deleted = new Set(tombstones.flatMap((d) => (d ? [d._id] : [])));

    const candidates: Candidate[] = [];
    for (const message of messages) {
      const view = viewOf.get(message.conversationId);
      if (!view || message.seq <= view.me.readSeq || deleted.has(message.messageId))
        plan.read.push(message.messageId);
      else if (!levelAllows(levels.get(message.conversationId) ?? preferences.level, message.kind))
        plan.skipped.push(message.messageId);
      else if (view.me.muted && !message.urgent) plan.skipped.push(message.messageId);
      else if (step === 'sms' && !message.urgent) plan.skipped.push(message.messageId);
      else candidates.push({ ...message, view });
    }
    if (candidates.length === 0) return plan;
    // Signals reach the workflow in whatever order the events were handled in; what is sent, and
    // the key a send is known by (its first message), follow the conversation's order instead.
    candidates.sort((a, b) => a.conversationId.localeCompare(b.conversationId) || a.seq - b.seq);

    const reachable = await this.reachable(step, preferences, contact, userId);
    if (!reachable) {
      plan.skipped.push(...candidates.map((c) => c.messageId));
      return plan;
    }

    const now = this.now();
    // The workflow timed this step with the delay it read last; a delay raised since holds the
    // message back until its new due time (a lowered one reaches the workflow by a signal).
    const dueAt = (c: Candidate) =>
      c.arrivedAt === undefined ? 0 : c.arrivedAt + preferences.delays[step] * 1000;
    const early = candidates.filter((c) => dueAt(c) > now.getTime() + DUE_TOLERANCE_MS);
    const onTime = candidates.filter((c) => !early.includes(c));
    const quietEnd = quietHoursEnd(preferences.quietHours, contact.timeZone, now);
    const passes = (c: Candidate) => quietEnd === null || (c.urgent && preferences.quietHours?.allowUrgent);
    const quiet = onTime.filter((c) => !passes(c));
    const deliver = onTime.filter(passes);
    if (quiet.length > 0 && quietEnd !== null) {
      await addTimeline(
        store,
        quiet.map((c) => deliveryId(c.messageId, userId)),
        {
          key: `deferred:${step}:${quietEnd}`,
          at: now,
          event: 'deferred',
          channel: step,
          detail: `quiet hours until ${new Date(quietEnd).toISOString()}`,
        },
      );
    }
    // One time for all that wait: those due later are held back again when it comes.
    const waits = [...early.map(dueAt), ...(quiet.length > 0 && quietEnd !== null ? [quietEnd] : [])];
    if (waits.length > 0) {
      plan.deferred = [...early, ...quiet].map((c) => c.messageId);
      plan.deferredUntil = Math.min(...waits);
    }
    if (deliver.length === 0) return plan;
    plan.deliver = deliver.map((c) => c.messageId);
    plan.job = this.job(
      step,
      userId,
      contact,
      deliver,
      await this.quoted(userId, deliver),
      reachable.subscriptions,
    );
    return plan;
  }

  /**
   * The ledger entries of the messages to send, in their order (the candidates', by conversation
   * and sequence), each quoting the message's newest text. Read by `_id`, a batch at a time.
   */
  private async quoted(userId: string, deliver: Candidate[]): Promise<DeliveryDoc[]> {
    const { store } = this.deps;
    const [docs, edits] = await Promise.all([
      inBatches(deliver, (c) => store.deliveries.findOne({ _id: deliveryId(c.messageId, userId) })),
      inBatches(deliver, (c) => store.editedMessages.findOne({ _id: c.messageId })),
    ]);
    return docs.flatMap((doc, index) =>
      doc ? [{ ...doc, snippet: quotedSnippet(doc, edits[index] ?? null) }] : [],
    );
  }

  /**
   * Whether the step's channel can reach the recipient at all (null when not), with the push
   * subscriptions for push: those admitted to the user's places, never one a crash left stored
   * but unadmitted. Email goes only to a verified address.
   */
  private async reachable(
    step: NotifyStep,
    preferences: Preferences,
    contact: Contact,
    userId: string,
  ): Promise<{ subscriptions: PushSubscriptionDoc[] } | null> {
    if (!preferences.channels[step]) return null;
    if (step === 'email') return contact.emailVerified ? { subscriptions: [] } : null;
    if (step === 'sms') return contact.phone ? { subscriptions: [] } : null;
    if (!this.deps.config.VAPID_PUBLIC_KEY) return null;
    const subscriptions = await this.slots.admitted(userId, MAX_SUBSCRIPTIONS);
    return subscriptions.length > 0 ? { subscriptions } : null;
  }

  private job(
    step: NotifyStep,
    userId: string,
    contact: Contact,
    deliver: Candidate[],
    docs: DeliveryDoc[],
    subscriptions: PushSubscriptionDoc[],
  ): ChannelJob {
    const base = this.deps.config.PUBLIC_URL.replace(/\/+$/, '');
    const messageIds = deliver.map((c) => c.messageId);
    const byConversation = groupBy(docs, (d) => d.conversationId);
    const viewOf = new Map(deliver.map((c) => [c.conversationId, c.view]));
    const link = (conversationId: string) => `${base}/?conversation=${encodeURIComponent(conversationId)}`;
    const titleOf = (conversationId: string, group: DeliveryDoc[]) => {
      const senders = [...new Set(group.map((d) => d.senderName))].join(', ');
      const view = viewOf.get(conversationId);
      return view?.type === 'group' ? `${senders} in ${view.name ?? 'a group'}` : senders;
    };

    if (step === 'push') {
      return {
        channel: 'push',
        subscriptions: subscriptions.map((s) => ({ id: s._id, endpoint: s.endpoint, keys: s.keys })),
        notifications: [...byConversation].map(([conversationId, group]) => ({
          conversationId,
          title: titleOf(conversationId, group),
          body:
            group.length === 1 ? group[0]!.snippet : `${group.length} new messages: ${group.at(-1)!.snippet}`,
          url: link(conversationId),
          messageIds: group.map((d) => d.messageId),
        })),
      };
    }

    if (step === 'email') {
      const unsubscribeUrl = `${base}/api/v1/notifications/unsubscribe?token=${unsubscribeToken(
        this.deps.config.NOTIFICATION_LINK_SECRET,
        { userId, channel: 'email' },
      )}`;
      const sections = [...byConversation].map(([conversationId, group]) => ({
        title: titleOf(conversationId, group),
        url: link(conversationId),
        lines: group.map((d) => ({ sender: d.senderName, text: d.snippet })),
      }));
      const count = docs.length;
      const subject =
        count === 1 ? 'You have an unread message on Parley' : `You have ${count} unread messages on Parley`;
      const text = [
        `${subject}.`,
        '',
        ...sections.flatMap((s) => [
          s.title,
          ...s.lines.map((l) => `  ${l.sender}: ${l.text}`),
          `  ${s.url}`,
          '',
        ]),
        `Stop these emails: ${unsubscribeUrl}`,
      ].join('\n');
      const html = [
        `<p>${escapeHtml(subject)}.</p>`,
        ...sections.map(
          (s) =>
            `<h3><a href="${escapeHtml(s.url)}">${escapeHtml(s.title)}</a></h3><ul>${s.lines
              .map((l) => `<li><b>${escapeHtml(l.sender)}</b>: ${escapeHtml(l.text)}</li>`)
              .join('')}</ul>`,
        ),
        `<p><a href="${escapeHtml(unsubscribeUrl)}">Stop these emails</a></p>`,
      ].join('\n');
      return {
        channel: 'email',
        // The display name is user-supplied: controls are replaced, and nodemailer encodes the rest.
        to: { name: contact.displayName.replace(/\p{Cc}/gu, ' ').slice(0, 128), address: contact.email },
        subject,
        text,
        html,
        unsubscribeUrl,
        messageIds,
      };
    }

    const senders = [...new Set(docs.map((d) => d.senderName))].slice(0, 3).join(', ');
    const key = notifySendKey(workflowIds.notifyRecipient(userId), 'sms', messageIds[0]!);
    return {
      channel: 'sms',
      to: contact.phone!,
      // The reference makes each batch's body unique, which the activity relies on to find a
      // message an interrupted try already sent.
      body: `Parley: ${docs.length} urgent unread message${docs.length === 1 ? '' : 's'} from ${senders}. ${base}/ (ref ${sendRef(key).slice(0, 8)})`,
      statusCallbackUrl: `${base}/api${SMS_STATUS_PATH}/${sendRef(key)}`,
      messageIds,
    };
  }
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return groups;
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

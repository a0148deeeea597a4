import { type NotificationOutcomeEvent, UsageTopics } from '@parley/contracts';
import { type Sidecar, parse } from '@parley/service-kit';
import { NOTIFY_STEPS, type NotifyStep } from '@parley/workflows';
import { Router } from 'express';
import { z } from 'zod';
import { idSchema } from '../preferences/schemas';
import { type Planner, sendRef } from './planner';
import { type DeliveryStore, type SendDoc, type TimelineEvent, addTimeline, deliveryId } from './store';

const userParams = z.object({ userId: idSchema }).strict();
const keyParams = z
  .object({ key: z.string().regex(/^[A-Za-z0-9_./:-]{1,200}$/, 'must be a send key') })
  .strict();
const step = z.enum(NOTIFY_STEPS);
const messageIds = z.array(idSchema).min(1).max(1000);

const planBody = z
  .object({
    step,
    messages: z
      .array(
        z
          .object({
            messageId: idSchema,
            conversationId: idSchema,
            seq: z.number().int().positive(),
            kind: z.enum(['direct', 'mention', 'all']),
            urgent: z.boolean(),
            /** Workflow time (ms) the workflow learned of the message. */
            arrivedAt: z.number().int().nonnegative().optional(),
          })
          .strict(),
      )
      .min(1)
      .max(1000),
  })
  .strict();

const intentBody = z.object({ userId: idSchema, channel: step, messageIds }).strict();

const outcomeBody = intentBody
  .extend({
    outcome: z.enum(['sent', 'failed']),
    providerId: z.string().max(200).nullable(),
    reason: z.string().max(500).nullable(),
  })
  .strict();

const removalBody = z
  .object({
    ids: z.array(z.string().min(1).max(64)).min(1).max(100),
    reason: z.string().max(200),
  })
  .strict();

const SENT_EVENT: Record<NotifyStep, TimelineEvent> = { push: 'pushed', email: 'emailed', sms: 'texted' };

/**
 * What the worker's activities ask, through the sidecars (the app token guards `/internal`): the
 * recipient's schedule and step plans, and the send ledger around every provider call.
 */
export function deliveryInternalRoutes(store: DeliveryStore, planner: Planner, sidecar: Sidecar): Router {
  const router = Router();

  router.get('/internal/v1/recipients/:userId/schedule', async (req, res) => {
    const { userId } = parse(userParams, req.params, 'params');
    res.json(await planner.schedule(userId));
  });

  router.post('/internal/v1/recipients/:userId/plans', async (req, res) => {
    const { userId } = parse(userParams, req.params, 'params');
    const body = parse(planBody, req.body, 'body');
    res.json(await planner.plan(userId, body.step, body.messages));
  });

  router.post('/internal/v1/recipients/:userId/push-subscriptions/removals', async (req, res) => {
    const { userId } = parse(userParams, req.params, 'params');
    const { ids, reason } = parse(removalBody, req.body, 'body');
    const result = await store.pushSubscriptions.deleteMany({ _id: { $in: ids }, userId });
    req.log.info({ userId, removed: result.deletedCount, reason }, 'push subscriptions removed');
    res.json({ removed: result.deletedCount });
  });

  // Before a provider call: records the intent, and tells what an earlier try of the same key left.
  router.post('/internal/v1/sends/:key', async (req, res) => {
    const { key } = parse(keyParams, req.params, 'params');
    const body = parse(intentBody, req.body, 'body');
    const now = new Date();
    const before = await store.sends.findOneAndUpdate(
      { _id: key },
      {
        $setOnInsert: {
          ref: sendRef(key),
          userId: body.userId,
          channel: body.channel,
          messageIds: body.messageIds,
          state: 'intent',
          intentAt: now,
          providerId: null,
          reason: null,
          finishedAt: null,
        },
        $inc: { attempts: 1 },
      },
      { upsert: true, returnDocument: 'before' },
    );
    res.json(
      before
        ? {
            state: before.state,
            intentAt: before.intentAt.toISOString(),
            providerId: before.providerId,
            reason: before.reason,
          }
        : { state: 'new', intentAt: now.toISOString(), providerId: null, reason: null },
    );
  });

  // After a provider call: the outcome goes into the send ledger, the timelines and analytics.
  router.put('/internal/v1/sends/:key', async (req, res) => {
    const { key } = parse(keyParams, req.params, 'params');
    const body = parse(outcomeBody, req.body, 'body');
    const now = new Date();
    const state: SendDoc['state'] = body.outcome === 'sent' ? 'sent' : 'failed';
    await store.sends.updateOne(
      { _id: key },
      {
        $set: { state, providerId: body.providerId, reason: body.reason, finishedAt: now },
        $setOnInsert: {
          ref: sendRef(key),
          userId: body.userId,
          channel: body.channel,
          messageIds: body.messageIds,
          intentAt: now,
          attempts: 0,
        },
      },
      { upsert: true },
    );
    await addTimeline(
      store,
      body.messageIds.map((id) => deliveryId(id, body.userId)),
      {
        key: `${body.outcome}:${key}`,
        at: now,
        event: body.outcome === 'sent' ? SENT_EVENT[body.channel] : 'failed',
        channel: body.channel,
        detail: body.outcome === 'sent' ? body.providerId : body.reason,
      },
    );
    const event: NotificationOutcomeEvent = {
      notificationId: key.slice(0, 128),
      userId: body.userId,
      channel: body.channel,
      outcome: body.outcome === 'sent' ? 'delivered' : 'failed',
      occurredAt: now.toISOString(),
    };
    // The event id comes from the key: a retried call publishes the same event, counted once.
    await sidecar.publish(
      UsageTopics.notificationOutcome,
      event,
      `notification-outcome:${sendRef(key)}:${state}`,
    );
    res.status(204).end();
  });

  return router;
}

import { bearerToken, principalOf } from '@parley/identity';
import { noBody, parse, safeEqual } from '@parley/service-kit';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import type { Directory } from '../delivery/directory';
import { inBatches } from '../delivery/in-batches';
import { type DeliveryDoc, type DeliveryEventDoc, type DeliveryStore, deliveryId } from '../delivery/store';
import { DeliveryNotFoundError } from '../errors';

const ledgerQuery = z
  .object({ messageId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id') })
  .strict();

function timelineView(doc: DeliveryDoc, events: DeliveryEventDoc[]) {
  return {
    recipientId: doc.recipientId,
    kind: doc.kind,
    urgent: doc.urgent,
    timeline: events
      .filter((e) => e.deliveryId === doc._id)
      .sort((a, b) => a.at.getTime() - b.at.getTime())
      .map((e) => ({ at: e.at.toISOString(), event: e.event, channel: e.channel, detail: e.detail })),
  };
}

/**
 * The message's deliveries, by `_id` from the recipients its creation recorded. A message created
 * before those were recorded has none: its deliveries are found by `messageId`, which the dev
 * store answers by reading the whole ledger (real MongoDB by the index), as it does for a message
 * that is not in the ledger at all.
 */
async function deliveriesOf(store: DeliveryStore, messageId: string): Promise<DeliveryDoc[]> {
  const recipients = await store.messageRecipients.findOne({ _id: messageId });
  if (!recipients) return store.deliveries.find({ messageId }).toArray();
  const docs = await inBatches(recipients.recipientIds, (recipientId) =>
    store.deliveries.findOne({ _id: deliveryId(messageId, recipientId) }),
  );
  return docs.filter((doc) => doc !== null);
}

/**
 * `GET /v1/notifications/deliveries?messageId=`: the delivery ledger of one message, one timeline
 * per recipient (queued, delivered to a device, pushed, emailed, texted, read, failed and why).
 * Readable by the members of the message's conversation, and by operators with the ops token.
 */
export function ledgerRoutes(
  store: DeliveryStore,
  directory: Directory,
  auth: RequestHandler,
  opsToken: string,
): Router {
  const router = Router();
  const operatorOrUser: RequestHandler = (req, res, next) => {
    const presented = bearerToken(req.get('authorization'));
    if (presented && safeEqual(presented, opsToken)) {
      res.locals.operator = true;
      next();
      return;
    }
    auth(req, res, next);
  };

  router.get('/v1/notifications/deliveries', operatorOrUser, async (req, res) => {
    const { messageId } = parse(ledgerQuery, req.query, 'query');
    parse(noBody, req.body, 'body');
    const docs = await deliveriesOf(store, messageId);
    const first = docs[0];
    if (!first) throw new DeliveryNotFoundError(messageId);
    if (res.locals.operator !== true) {
      const { userId } = principalOf(req);
      // The same answer whether the message is unknown or the caller is not a member.
      if (!(await directory.conversationAs(userId, first.conversationId)))
        throw new DeliveryNotFoundError(messageId);
    }
    // TODO(ledger-scan): a filter on messageId, which the dev store answers by reading every
    // timeline entry; left so while this route is read rarely (a member's or an operator's look).
    const events = await store.deliveryEvents.find({ messageId }).toArray();
    res.json({
      messageId,
      conversationId: first.conversationId,
      senderId: first.senderId,
      recipients: docs.map((doc) => timelineView(doc, events)),
    });
  });

  return router;
}

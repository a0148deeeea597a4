import { parse } from '@parley/service-kit';
import express, { Router } from 'express';
import twilio from 'twilio';
import { z } from 'zod';
import { SMS_STATUS_PATH } from '../delivery/planner';
import { type DeliveryStore, addTimeline, deliveryId } from '../delivery/store';
import { SignatureInvalidError } from '../errors';

const refParams = z.object({ ref: z.string().regex(/^[A-Za-z0-9_-]{22}$/) }).strict();

/** The fields of Twilio's message status callback used here; Twilio sends more, all kept for the signature. */
const statusBody = z.looseObject({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/),
  MessageStatus: z.enum([
    'accepted',
    'scheduled',
    'queued',
    'sending',
    'sent',
    'delivered',
    'undelivered',
    'failed',
    'read',
    'receiving',
    'received',
    'canceled',
    'partially_delivered',
  ]),
  ErrorCode: z.string().max(10).optional(),
});

/**
 * `POST /v1/notifications/sms-status/:ref`: Twilio's delivery status callbacks. Each must carry a
 * valid `X-Twilio-Signature` over the public URL the callback was registered with and the posted
 * fields; anything unsigned or altered is refused with 403 before it is read further.
 */
export function smsStatusRoutes(
  store: DeliveryStore,
  options: { publicUrl: string; twilioAuthToken: string | undefined },
): Router {
  const router = Router();
  router.post(
    `${SMS_STATUS_PATH}/:ref`,
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 100 }),
    async (req, res) => {
      const { ref } = parse(refParams, req.params, 'params');
      const signature = req.get('x-twilio-signature');
      const url = `${options.publicUrl.replace(/\/+$/, '')}/api${SMS_STATUS_PATH}/${ref}`;
      const params = (req.body ?? {}) as Record<string, string>;
      if (
        !options.twilioAuthToken ||
        !signature ||
        !twilio.validateRequest(options.twilioAuthToken, signature, url, params)
      )
        throw new SignatureInvalidError();
      const status = parse(statusBody, params, 'body');
      const send = await store.sends.findOne({ ref });
      if (send) {
        const failed = status.MessageStatus === 'failed' || status.MessageStatus === 'undelivered';
        await addTimeline(
          store,
          send.messageIds.map((id) => deliveryId(id, send.userId)),
          {
            key: `sms-status:${status.MessageSid}:${status.MessageStatus}`,
            at: new Date(),
            event: failed ? 'failed' : 'sms-status',
            channel: 'sms',
            detail: failed
              ? `SMS ${status.MessageStatus}${status.ErrorCode ? ` (Twilio error ${status.ErrorCode})` : ''}`
              : status.MessageStatus,
          },
        );
      }
      req.log.info({ ref, status: status.MessageStatus, known: send !== null }, 'sms status received');
      res.status(204).end();
    },
  );
  return router;
}

import { AppError, type Logger, abandonedSignal, parse } from '@parley/service-kit';
import { Router } from 'express';
import { z } from 'zod';
import { userId } from '../ids';
import { conversationParams } from '../conversations/schemas';
import { sendMessageBody } from './schemas';
import type { Messages } from './service';

/** The most sends one batch carries. */
export const MAX_BATCH_SENDS = 100;

const sendBatchBody = z
  .object({
    sends: z
      .array(z.object({ userId, conversationId: z.unknown(), message: z.unknown() }).strict())
      .min(1)
      .max(MAX_BATCH_SENDS),
  })
  .strict();

/**
 * How long a batch waits for its slowest send. A send still running then (its checks wait on
 * another service, or its conversation on a backlog) is answered 202 and goes on; the caller asks
 * for it alone with the same client message id, which answers the stored message once it is
 * there. So one slow send delays the others of its batch this long at most, and fails none.
 */
export const ANSWER_WITHIN_MS = 3_000;

/** How one send of a batch went: the message as a lone send answers it, or its problem. */
export type SendOutcome =
  | { status: 200 | 201; message: unknown }
  | { status: number; code: string; detail: string; errors?: { path: string; message: string }[] };

const PENDING: SendOutcome = {
  status: 202,
  code: 'CHAT_SEND_PENDING',
  detail: 'The send is still being stored; send it again alone with the same client message id.',
};

/**
 * `POST /internal/v1/message-sends`: several sends, each made by a user the caller verified (the
 * gateway, for messages its sockets emit while it waits for chat). Each send is checked and stored
 * as a lone one is, all at once, and answered on its own: one refused send fails nobody else's.
 * A busy gateway sends one request per batch instead of one per message, which spares both
 * sidecars and both apps a request each time; the database writes of a batch go out together too.
 */
export function sendBatchRoutes(
  messages: Pick<Messages, 'send'>,
  logger: Logger,
  options: { answerWithinMs?: number } = {},
): Router {
  const answerWithinMs = options.answerWithinMs ?? ANSWER_WITHIN_MS;
  const router = Router();
  router.post('/internal/v1/message-sends', async (req, res) => {
    const { sends } = parse(sendBatchBody, req.body, 'body');
    // Until the batch is answered: a send still running after that goes on (the caller asks for it
    // again), but sends of a batch whose caller gave up (a timeout, a retry) stop where they wait.
    const signal = abandonedSignal(res);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<SendOutcome>((resolve) => {
      timer = setTimeout(() => resolve(PENDING), answerWithinMs);
    });
    const outcomes = sends.map(async (send): Promise<SendOutcome> => {
      try {
        // Checked where a lone send checks them, and named as it names them.
        const { conversationId } = parse(
          conversationParams,
          { conversationId: send.conversationId },
          'params',
        );
        const body = parse(sendMessageBody, send.message, 'body');
        const { message, duplicate } = await messages.send(send.userId, conversationId, body, signal);
        return { status: duplicate ? 200 : 201, message };
      } catch (err) {
        return outcomeOf(err, logger);
      }
    });
    try {
      const results = await Promise.all(outcomes.map((outcome) => Promise.race([outcome, late])));
      res.json({ results });
    } finally {
      clearTimeout(timer);
    }
  });
  return router;
}

function outcomeOf(err: unknown, logger: Logger): SendOutcome {
  if (err instanceof AppError) {
    if (err.status >= 500) logger.error({ err, code: err.code }, 'send of a batch failed');
    const errors = err.context.errors as { path: string; message: string }[] | undefined;
    return { status: err.status, code: err.code, detail: err.message, ...(errors ? { errors } : {}) };
  }
  logger.error({ err }, 'send of a batch failed');
  return { status: 500, code: 'INTERNAL', detail: 'An unexpected error occurred.' };
}

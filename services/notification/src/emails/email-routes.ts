import { parse } from '@parley/service-kit';
import { type EmailRequest, TASK_QUEUE, workflowIds } from '@parley/workflows';
import type { sendEmail } from '@parley/workflows/dist/workflows';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';

/** Header values from callers must never carry a line break (header injection) or other controls. */
const headerSafe = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !/\p{Cc}/u.test(s), { message: 'must not contain control characters' });

const emailRequestSchema = z
  .object({
    idempotencyKey: z.string().regex(/^[A-Za-z0-9_.:-]{8,128}$/, 'must be 8 to 128 of A-Z a-z 0-9 _ . : -'),
    to: z.object({ address: z.email().max(254), name: headerSafe(128) }).strict(),
    subject: headerSafe(200),
    text: z.string().min(1).max(20_000),
  })
  .strict();

/**
 * `POST /internal/v1/emails`: other services hand over an email to send. It starts a workflow whose
 * id derives from the idempotency key and refuses to run that id twice, so a retried call (or a
 * caller's retry after a timeout) never sends the email again.
 */
export function emailRoutes(client: Client): Router {
  const router = Router();
  router.post('/internal/v1/emails', async (req, res) => {
    const email: EmailRequest = parse(emailRequestSchema, req.body, 'body');
    const workflowId = workflowIds.email(email.idempotencyKey);
    let duplicate = false;
    try {
      await client.workflow.start<typeof sendEmail>('sendEmail', {
        workflowId,
        taskQueue: TASK_QUEUE,
        args: [email],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      duplicate = true;
    }
    req.log.info({ workflowId, duplicate }, 'email accepted');
    res.status(202).json({ workflowId, duplicate });
  });
  return router;
}

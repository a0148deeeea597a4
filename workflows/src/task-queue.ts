/** The task queue the platform's worker polls. */
export const TASK_QUEUE = 'parley';

/** Workflow ids, derived from what the workflow is about, so that starting one twice is harmless. */
export const workflowIds = {
  platformProbe: (probeId: string) => `platform-probe-${probeId}`,
  email: (idempotencyKey: string) => `email-${idempotencyKey}`,
  /** One per recipient: owns their pending notifications. */
  notifyRecipient: (userId: string) => `notify-${userId}`,
  invite: (inviteId: string) => `invite-${inviteId}`,
  media: (mediaId: string) => `media-${mediaId}`,
};

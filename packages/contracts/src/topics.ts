import { z } from 'zod';

/** Pub/sub topics. Each has a declarative subscription in `components/` naming its subscribers. */
export const Topics = {
  /** An operator's self-test: every back-end service records that it received it. */
  platformProbe: 'platform.probe',
  /** Where the sidecar moves an event a subscriber dropped or could not apply after its retries. */
  deadLetter: 'platform.deadletter',
} as const;

export const platformProbeEvent = z
  .object({
    probeId: z.uuid(),
    requestedAt: z.iso.datetime(),
  })
  .strict();

export type PlatformProbeEvent = z.infer<typeof platformProbeEvent>;

import { proxyActivities } from '@temporalio/workflow';
import type { ProbeActivities } from '../activities/probe';

export interface PlatformProbeResult {
  probeId: string;
  worker: string;
  acknowledgedAt: string;
}

const { acknowledgeProbe } = proxyActivities<ProbeActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', maximumAttempts: 5 },
});

/** The workflow half of the operator self-test: proves a service can start work the worker completes. */
export async function platformProbe(probeId: string): Promise<PlatformProbeResult> {
  const ack = await acknowledgeProbe(probeId);
  return { probeId, ...ack };
}

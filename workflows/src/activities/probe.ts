import type { Sidecar } from '@parley/service-kit';

export interface ProbeActivityDeps {
  sidecar: Sidecar;
  /** How this worker names itself in results. */
  identity: string;
}

/** Builds the probe activities from their dependencies, so tests can hand in their own. */
export function createProbeActivities({ sidecar, identity }: ProbeActivityDeps) {
  return {
    /** Records, through the worker's own sidecar, that the worker ran the probe. */
    async acknowledgeProbe(probeId: string): Promise<{ worker: string; acknowledgedAt: string }> {
      const acknowledgedAt = new Date().toISOString();
      await sidecar.saveState(`probe:${probeId}`, { worker: identity, acknowledgedAt }, 24 * 60 * 60);
      return { worker: identity, acknowledgedAt };
    },
  };
}

export type ProbeActivities = ReturnType<typeof createProbeActivities>;

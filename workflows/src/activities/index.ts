import { type EmailActivityDeps, createEmailActivities } from './email';
import { type MediaActivityDeps, createMediaActivities } from './media';
import { type ProbeActivityDeps, createProbeActivities } from './probe';

export type ActivityDeps = ProbeActivityDeps & EmailActivityDeps & MediaActivityDeps;

/** Every activity the worker registers. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createProbeActivities(deps),
    ...createEmailActivities(deps),
    ...createMediaActivities(deps),
  };
}

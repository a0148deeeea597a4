import { type ProbeActivityDeps, createProbeActivities } from './probe';

export type ActivityDeps = ProbeActivityDeps;

/** Every activity the worker registers. */
export function createActivities(deps: ActivityDeps) {
  return { ...createProbeActivities(deps) };
}

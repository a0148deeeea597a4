import { type EmailActivityDeps, createEmailActivities } from './email';
import { type InviteActivityDeps, createInviteActivities } from './invite';
import { type MediaActivityDeps, createMediaActivities } from './media';
import { type ProbeActivityDeps, createProbeActivities } from './probe';
import { type NotifyActivityDeps, createNotifyActivities } from './notify-activities';

export type ActivityDeps = ProbeActivityDeps &
  EmailActivityDeps &
  InviteActivityDeps &
  MediaActivityDeps &
  NotifyActivityDeps;

/** Every activity the worker registers. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createProbeActivities(deps),
    ...createEmailActivities(deps),
    ...createInviteActivities(deps),
    ...createMediaActivities(deps),
    ...createNotifyActivities(deps),
  };
}

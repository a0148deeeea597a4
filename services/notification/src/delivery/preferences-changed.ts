import { NOTIFY_PREFERENCES_CHANGED, workflowIds } from '@parley/workflows';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';

/** How long telling the workflow may hold up the preference change that caused it. */
const SIGNAL_DEADLINE_MS = 3_000;

/**
 * Tells a recipient's workflow that their delays or quiet hours changed, so messages already
 * waiting are timed again from the new ones: a shorter delay brings a step forward, a longer one
 * holds it back. No workflow means nothing is waiting.
 */
export async function signalPreferencesChanged(temporal: Client, userId: string): Promise<void> {
  try {
    await temporal.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
      temporal.workflow.getHandle(workflowIds.notifyRecipient(userId)).signal(NOTIFY_PREFERENCES_CHANGED),
    );
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

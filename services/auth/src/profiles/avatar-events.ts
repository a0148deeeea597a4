import { MediaTopics, mediaProcessedEvent } from '@parley/contracts';
import { AppError, type Sidecar, onEvent } from '@parley/service-kit';
import type { Express } from 'express';
import type { UserEvents } from '../accounts/user-events';
import type { UserStore } from '../accounts/user-store';

/** Where the sidecar delivers `media.processed` (`components/subscription-auth-media-processed.yaml`). */
export const MEDIA_PROCESSED_ROUTE = '/dapr/events/media-processed';

export const AVATAR_TOPICS = [MediaTopics.mediaProcessed];

/**
 * A profile picture may be picked while its media is still processing. When processing fails, or
 * the file turns out not to be an image, the profile loses the picture and the change goes out as
 * `user.updated`, as if the user had cleared it. Another picture picked meanwhile stays.
 */
export function mountAvatarEvents(app: Express, users: UserStore, events: UserEvents): void {
  onEvent(app, MEDIA_PROCESSED_ROUTE, mediaProcessedEvent, async ({ data }) => {
    if (data.status === 'ready' && data.kind === 'image') return;
    await dropAvatar(users, events, data.ownerId, data.mediaId);
  });
}

/**
 * Asks the media service again about a picture that was still processing when it was picked:
 * had it failed between that check and the profile's write, its `media.processed` may have been
 * handled before the write was there to be found. Refused now, it is dropped. Answers whether it
 * was.
 */
export async function recheckAvatar(
  sidecar: Sidecar,
  users: UserStore,
  events: UserEvents,
  userId: string,
  mediaId: string,
): Promise<boolean> {
  try {
    await avatarCheck(sidecar, userId, mediaId);
    return false;
  } catch (err) {
    // Unreachable or gone: `media.processed` still drops the picture should it fail.
    if (!(err instanceof AppError && err.code === 'MEDIA_NOT_AN_IMAGE')) return false;
    return dropAvatar(users, events, userId, mediaId);
  }
}

/**
 * The media service makes the user's own image their one profile picture and answers its status;
 * a refusal (`MEDIA_NOT_FOUND`, `MEDIA_NOT_AN_IMAGE`) is thrown with the media service's code.
 * Asking again changes nothing.
 */
export async function avatarCheck(sidecar: Sidecar, userId: string, mediaId: string): Promise<unknown> {
  const answer = await sidecar.invokeOk<{ status?: unknown }>(
    'media',
    `internal/v1/media/${mediaId}/avatar`,
    {
      method: 'POST',
      body: { userId },
      signal: AbortSignal.timeout(5_000),
    },
  );
  return answer.status;
}

async function dropAvatar(users: UserStore, events: UserEvents, userId: string, mediaId: string) {
  const user = await users.dropAvatar(userId, mediaId);
  if (user) await events.updated(user);
  return user !== null;
}

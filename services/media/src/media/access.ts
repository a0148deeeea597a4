import { DependencyError, type Sidecar } from '@parley/service-kit';

/** Whether a user may see media someone else owns: the chat service knows where it was shared. */
export interface ShareDirectory {
  canSee(userId: string, mediaId: string): Promise<boolean>;
}

/**
 * Asks chat, through service invocation, whether the user is a member of a conversation with a
 * live message carrying the media. Chat is asked every time, so leaving a conversation or the
 * message's deletion ends access at once.
 */
export function chatShareDirectory(sidecar: Sidecar): ShareDirectory {
  return {
    async canSee(userId, mediaId) {
      const result = await sidecar.invoke<{ visible?: unknown }>(
        'chat',
        `internal/v1/media/${encodeURIComponent(mediaId)}/viewers/${encodeURIComponent(userId)}`,
        { signal: AbortSignal.timeout(5_000) },
      );
      if (result.status !== 200 || typeof result.body?.visible !== 'boolean') {
        throw new DependencyError('chat', `chat answered ${result.status} to a media access check`);
      }
      return result.body.visible;
    },
  };
}

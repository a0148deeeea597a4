import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { workflowIds } from '@parley/workflows';
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import sharp from 'sharp';
import t from 'tap';
import { mediaApi } from '../support/media-api';
import { startTestStack } from '../support/stack';
import { registerAndLogin } from '../support/users';

// A worker killed (SIGKILL) while it processes uploads, and started again as the launcher does: the
// uploads it was working on are ready soon after, not once their processing step timed out.

/** Longest an upload may stay processing after the crash: the restart, a heartbeat timeout, the work. */
const READY_WITHIN_MS = 60_000;

/** A photo of noise, big enough that processing it takes a while. */
async function largePhoto(): Promise<Buffer> {
  const [width, height] = [5000, 4000];
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

t.test('uploads being processed when the worker crashes', async (t) => {
  const { stack } = await startTestStack(t);
  const gateway = new URL(stack.urls().web).origin;
  const ada = await registerAndLogin(gateway);
  const media = mediaApi(gateway, ada.accessToken);
  const connection = await Connection.connect({ address: `127.0.0.1:${stack.ports.temporal}` });
  t.teardown(() => connection.close());
  const temporal = new Client({ connection });

  /** Whether the worker has begun processing the image of this upload. */
  const processing = async (mediaId: string) => {
    const described = await temporal.workflow.getHandle(workflowIds.media(mediaId)).describe();
    return (described.raw.pendingActivities ?? []).some(
      (activity) =>
        activity.activityType?.name === 'processImage' &&
        activity.state === proto.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
    );
  };

  const photo = await largePhoto();
  const uploads = await Promise.all([
    media.upload('one.jpg', 'image/jpeg', photo),
    media.upload('two.jpg', 'image/jpeg', photo),
  ]);
  const ids = uploads.map((upload) => upload.body.id);
  t.same(
    uploads.map((upload) => upload.status),
    [201, 201],
  );

  let caught = false;
  for (let tries = 0; tries < 400 && !caught; tries++) {
    caught = (await Promise.all(ids.map(processing))).some(Boolean);
    if (!caught) await sleep(25);
  }
  t.ok(caught, 'the worker was caught processing an image');
  await stack.crash('worker');
  const crashedAt = Date.now();
  // As the launcher does: a crashed worker is started again at once.
  await stack.restart('worker');

  for (const id of ids) {
    t.match(await media.settled(id, READY_WITHIN_MS + 30_000), { status: 'ready', width: 5000 });
  }
  const elapsed = Date.now() - crashedAt;
  t.ok(
    elapsed < READY_WITHIN_MS,
    `both ready ${Math.round(elapsed / 1000)} s after the crash (at most ${READY_WITHIN_MS / 1000} s)`,
  );
});

import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import t from 'tap';
import { startTemporalDevServer, temporalMissing, testWorker } from './temporal-dev-server';
import type { MediaActivities, MediaFacts, MediaProcessingInput, MediaResult } from '../src/activities/media';

// The media workflow on a real Temporal dev server, with the activities (the world: storage and the
// media service) replaced. The first attempt of each processing step goes silent, as one does on a
// worker killed mid-run: Temporal must hand the step to another attempt once its heartbeats stop,
// not only when its start-to-close timeout (minutes) runs out.

/** Longest a silent attempt may hold an upload back: the heartbeat timeout and a retry's wait. */
const PROMPT_MS = 30_000;

const facts = (kind: MediaFacts['kind'], mediaId: string): MediaFacts => ({
  kind,
  contentType: kind === 'image' ? 'image/png' : 'application/pdf',
  detectedType: kind === 'image' ? 'image/png' : 'application/pdf',
  downloadOnly: kind !== 'image',
  width: kind === 'image' ? 10 : null,
  height: kind === 'image' ? 10 : null,
  durationMs: null,
  blobs: { file: `${mediaId}/file`, thumbnail: null, preview: null },
});

t.test('processing outlives a worker that died mid-step', { skip: temporalMissing }, async (t) => {
  const { address, client } = await startTemporalDevServer(t);

  // Silent attempts never heartbeat nor finish until the test lets them go at its end.
  let release: () => void = () => {};
  const released = new Promise<void>((done) => (release = done));
  const attempts: string[] = [];
  const silentOnFirstAttempt = async <T>(name: string, work: () => T): Promise<T> => {
    const { attempt } = Context.current().info;
    attempts.push(`${name} ${attempt}`);
    if (attempt === 1) await released;
    return work();
  };
  const recorded: MediaResult[] = [];
  const activities: MediaActivities = {
    inspectMedia: async (input) =>
      input.declaredType === 'image/png'
        ? { mime: 'image/png', kind: 'image', active: false }
        : { mime: 'application/pdf', kind: 'file', active: false },
    processImage: (input) => silentOnFirstAttempt('processImage', () => facts('image', input.mediaId)),
    describeFile: (input) => silentOnFirstAttempt('describeFile', () => facts('file', input.mediaId)),
    recordMediaResult: async (result) => {
      recorded.push(result);
    },
    discardOriginal: async () => {},
  };

  const taskQueue = 'media-worker-death-test';
  const worker = await testWorker(t, address, taskQueue, activities);

  const upload = (mediaId: string, declaredType: string): MediaProcessingInput => ({
    mediaId,
    ownerId: 'u1',
    fileName: declaredType === 'image/png' ? 'photo.png' : 'notes.pdf',
    declaredType,
    sizeBytes: 100,
  });

  await worker.runUntil(async () => {
    const started = Date.now();
    const handles = await Promise.all(
      [upload('md_image', 'image/png'), upload('md_file', 'application/pdf')].map((input) =>
        client.workflow.start('processMedia', {
          workflowId: `media-${input.mediaId}`,
          taskQueue,
          args: [input],
        }),
      ),
    );
    const results = Promise.all(handles.map((handle) => handle.result()));
    // Lets the silent attempts go and ends what is still open, so the worker can shut down.
    const finish = async () => {
      release();
      await Promise.all(handles.map((handle) => handle.terminate().catch(() => {})));
      await results.catch(() => {});
    };
    try {
      const outcome = await Promise.race([results, sleep(PROMPT_MS, 'still processing' as const)]);
      const elapsed = Date.now() - started;

      t.not(outcome, 'still processing', `both uploads were done within ${PROMPT_MS / 1000} s`);
      t.ok(elapsed < PROMPT_MS, `done after ${Math.round(elapsed / 1000)} s`);
      t.same(
        recorded.map((r) => `${r.mediaId} ${r.status}`).sort(),
        ['md_file ready', 'md_image ready'],
        'each upload was recorded ready once',
      );
      t.same(
        attempts.sort(),
        ['describeFile 1', 'describeFile 2', 'processImage 1', 'processImage 2'],
        'each silent step was tried again once',
      );
    } finally {
      await finish();
    }
  });
});

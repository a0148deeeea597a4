import t from 'tap';
import { readVideoFacts } from '../src/activities/media-mp4';
import { mp4Clip } from '../../test/support/media';

const reader = (file: Buffer) => {
  const reads: number[] = [];
  return {
    reads,
    read: async (offset: number, length: number) => {
      reads.push(length);
      return file.subarray(offset, offset + length);
    },
  };
};

t.test('reads duration and picture size from the movie header', async (t) => {
  const { read } = reader(mp4Clip(2_500, 640, 360));
  t.same(await readVideoFacts(read), { durationMs: 2_500, width: 640, height: 360 });
});

t.test('finds a movie header written after the media data, reading headers only', async (t) => {
  const file = Buffer.concat([mp4Clip(12_000, 1920, 1080, true)]);
  const { read, reads } = reader(file);
  t.same(await readVideoFacts(read), { durationMs: 12_000, width: 1920, height: 1080 });
  t.ok(
    reads.every((n) => n < 1_000),
    'never reads the media data, only box headers and the movie box',
  );
});

t.test('a file without a movie box has unknown facts', async (t) => {
  const { read } = reader(Buffer.from('\x00\x00\x00\x10ftypisom\x00\x00\x00\x00garbage', 'latin1'));
  t.same(await readVideoFacts(read), { durationMs: null, width: null, height: null });
});

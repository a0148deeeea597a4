/**
 * Reads the duration and picture size of an ISO base media file (MP4, MOV) from its `moov` box,
 * fetching only box headers and that box: the file is never read whole.
 */

export interface VideoFacts {
  durationMs: number | null;
  width: number | null;
  height: number | null;
}

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
export type RangeReader = (offset: number, length: number) => Promise<Buffer>;

/** A `moov` box larger than this is not read; the facts stay unknown. */
const MAX_MOOV_BYTES = 16 * 1024 * 1024;
const MAX_TOP_LEVEL_BOXES = 64;

interface Box {
  type: string;
  start: number;
  headerSize: number;
  size: number;
}

function boxesIn(buffer: Buffer, from = 0, to = buffer.length): Box[] {
  const boxes: Box[] = [];
  let at = from;
  while (at + 8 <= to) {
    let size = buffer.readUInt32BE(at);
    let headerSize = 8;
    if (size === 1 && at + 16 <= to) {
      size = Number(buffer.readBigUInt64BE(at + 8));
      headerSize = 16;
    } else if (size === 0) {
      size = to - at;
    }
    if (size < headerSize || at + size > to) break;
    boxes.push({ type: buffer.toString('latin1', at + 4, at + 8), start: at, headerSize, size });
    at += size;
  }
  return boxes;
}

function child(buffer: Buffer, parent: Box, type: string): Box | undefined {
  return boxesIn(buffer, parent.start + parent.headerSize, parent.start + parent.size).find(
    (b) => b.type === type,
  );
}

function movieDuration(moov: Buffer, mvhd: Box): number | null {
  const at = mvhd.start + mvhd.headerSize;
  const version = moov[at];
  const timescale = version === 1 ? moov.readUInt32BE(at + 20) : moov.readUInt32BE(at + 12);
  const duration = version === 1 ? Number(moov.readBigUInt64BE(at + 24)) : moov.readUInt32BE(at + 16);
  if (!timescale) return null;
  return Math.round((duration / timescale) * 1000);
}

function trackSize(moov: Buffer, tkhd: Box): { width: number; height: number } {
  // Width and height are the last two 16.16 fixed-point fields of the track header.
  const end = tkhd.start + tkhd.size;
  return { width: moov.readUInt32BE(end - 8) >>> 16, height: moov.readUInt32BE(end - 4) >>> 16 };
}

/** Finds the `moov` box among the top-level boxes, reading 16 bytes per box header. */
async function readMoov(read: RangeReader): Promise<Buffer | undefined> {
  let offset = 0;
  for (let i = 0; i < MAX_TOP_LEVEL_BOXES; i++) {
    const header = await read(offset, 16);
    if (header.length < 8) return undefined;
    let size = header.readUInt32BE(0);
    let headerSize = 8;
    if (size === 1 && header.length >= 16) {
      size = Number(header.readBigUInt64BE(8));
      headerSize = 16;
    }
    const type = header.toString('latin1', 4, 8);
    if (type === 'moov') {
      if (size === 0 || size > MAX_MOOV_BYTES) return undefined;
      return read(offset, size);
    }
    if (size < headerSize) return undefined;
    offset += size;
  }
  return undefined;
}

export async function readVideoFacts(read: RangeReader): Promise<VideoFacts> {
  const facts: VideoFacts = { durationMs: null, width: null, height: null };
  const moov = await readMoov(read);
  if (!moov) return facts;
  const [root] = boxesIn(moov);
  if (!root) return facts;
  const mvhd = child(moov, root, 'mvhd');
  if (mvhd && mvhd.size >= mvhd.headerSize + 20) facts.durationMs = movieDuration(moov, mvhd);
  for (const trak of boxesIn(moov, root.start + root.headerSize, root.start + root.size)) {
    if (trak.type !== 'trak') continue;
    const tkhd = child(moov, trak, 'tkhd');
    if (!tkhd || tkhd.size < tkhd.headerSize + 84) continue;
    const { width, height } = trackSize(moov, tkhd);
    if (width > 0 && height > 0) {
      facts.width = width;
      facts.height = height;
      break;
    }
  }
  return facts;
}

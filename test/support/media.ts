import { crc32 } from 'node:zlib';
import sharp from 'sharp';

/** Make and GPS position written into the EXIF of `jpegWithGps`, to look for after processing. */
export const CAMERA_MAKE = 'ParleyTestCam';

/** EXIF's pointer to the GPS directory (tag 0x8825), as it appears in little- or big-endian EXIF. */
export function hasGpsDirectory(exif: Buffer | undefined): boolean {
  return (
    exif !== undefined &&
    (exif.includes(Buffer.from([0x25, 0x88])) || exif.includes(Buffer.from([0x88, 0x25])))
  );
}

/** A photo as a phone takes it: EXIF with the camera and a GPS position. */
export async function jpegWithGps(width = 1600, height = 1200): Promise<Buffer> {
  return sharp({
    create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } },
  })
    .composite([
      {
        input: Buffer.from(
          `<svg width="${width}" height="${height}"><circle cx="${width / 2}" cy="${height / 2}" r="${height / 3}" fill="orange"/></svg>`,
        ),
      },
    ])
    .jpeg({ quality: 85 })
    .withExif({
      IFD0: { Make: CAMERA_MAKE, Model: 'Test' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '51/1 30/1 1234/100',
        GPSLongitudeRef: 'W',
        GPSLongitude: '0/1 7/1 3900/100',
      },
    })
    .toBuffer();
}

export async function smallPng(width = 300, height = 200): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 10, g: 200, b: 90, alpha: 1 } } })
    .png()
    .toBuffer();
}

/** An SVG that runs script when a browser renders it inline. */
export const SVG_WITH_SCRIPT = Buffer.from(
  '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">' +
    '<script>fetch("/api/v1/sessions",{credentials:"include"})</script><rect width="10" height="10"/></svg>\n',
);

/** An HTML page, to upload under an image's name and type. */
export const HTML_PAGE = Buffer.from(
  '<!DOCTYPE html><html><head><title>x</title></head><body><script>alert(document.cookie)</script></body></html>\n',
);

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/**
 * A tiny PNG whose header declares `side` x `side` pixels: a decoder that trusted it would need
 * gigabytes. Its pixel data is a few bytes.
 */
export function pngDeclaring(side = 100_000): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01])),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function box(type: string, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(8 + body.length);
  return Buffer.concat([size, Buffer.from(type, 'latin1'), body]);
}

function u32(...values: number[]): Buffer {
  const buffer = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buffer.writeUInt32BE(v >>> 0, i * 4));
  return buffer;
}

/** The identity transformation matrix of ISO BMFF headers. */
const MATRIX = u32(0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000);

/**
 * The header structure of an MP4 (ftyp, moov with a movie header and one video track header, and
 * an mdat) for a clip of `durationMs` at `width` x `height`. No codec data: it stands for a video
 * whose container is read, which is all the processing reads of videos.
 */
export function mp4Clip(durationMs = 2_500, width = 320, height = 240, moovLast = false): Buffer {
  const ftyp = box('ftyp', Buffer.from('isom', 'latin1'), u32(0x200), Buffer.from('isomiso2mp41', 'latin1'));
  const mvhd = box(
    'mvhd',
    u32(0, 0, 0, 1000, durationMs), // version+flags, created, modified, timescale, duration
    u32(0x00010000), // rate
    Buffer.from([0x01, 0x00, 0, 0]), // volume, reserved
    u32(0, 0),
    MATRIX,
    u32(0, 0, 0, 0, 0, 0),
    u32(2), // next track id
  );
  const tkhd = box(
    'tkhd',
    u32(0x00000003, 0, 0, 1, 0, durationMs), // flags enabled|in movie, created, modified, track 1, reserved, duration
    u32(0, 0),
    Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]), // layer, alternate group, volume, reserved
    MATRIX,
    u32(width << 16, height << 16),
  );
  const moov = box('moov', mvhd, box('trak', tkhd));
  const mdat = box('mdat', Buffer.alloc(2048, 0x11));
  return moovLast ? Buffer.concat([ftyp, mdat, moov]) : Buffer.concat([ftyp, moov, mdat]);
}

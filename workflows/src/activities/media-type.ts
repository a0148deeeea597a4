/**
 * Finds what a file really is from its first bytes; the name and the declared type are claims
 * only. Active content (SVG, HTML, XML) is recognised so it is never served inline.
 */

export type MediaKind = 'image' | 'video' | 'audio' | 'file';

export interface DetectedType {
  /** The type the bytes show, such as `image/png`; `application/octet-stream` when unknown. */
  mime: string;
  kind: MediaKind;
  /** Markup a browser would run or render as a page: served only as a download. */
  active: boolean;
}

/** How many leading bytes detection reads. */
export const SNIFF_BYTES = 4096;

const startsWith = (head: Buffer, bytes: number[], offset = 0) =>
  head.length >= offset + bytes.length && bytes.every((b, i) => head[offset + i] === b);

const ascii = (head: Buffer, start: number, end: number) => head.subarray(start, end).toString('latin1');

/** ISO base media files (MP4, MOV, HEIC, AVIF) name their brand in the first `ftyp` box. */
function isoBrand(head: Buffer): string | undefined {
  return ascii(head, 4, 8) === 'ftyp' ? ascii(head, 8, 12) : undefined;
}

const BRANDS: Record<string, string> = {
  avif: 'image/avif',
  avis: 'image/avif',
  heic: 'image/heic',
  heix: 'image/heic',
  mif1: 'image/heic',
  'qt  ': 'video/quicktime',
  'M4A ': 'audio/mp4',
  'M4B ': 'audio/mp4',
};

function binaryType(head: Buffer): string | undefined {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a') return 'image/gif';
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return 'image/webp';
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WAVE') return 'audio/wav';
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a]))
    return 'image/tiff';
  if (ascii(head, 0, 2) === 'BM' && head.length >= 26) return 'image/bmp';
  const brand = isoBrand(head);
  if (brand !== undefined) return BRANDS[brand] ?? 'video/mp4';
  if (startsWith(head, [0x1a, 0x45, 0xdf, 0xa3])) return 'video/webm';
  if (ascii(head, 0, 4) === 'OggS') return 'audio/ogg';
  if (ascii(head, 0, 4) === 'fLaC') return 'audio/flac';
  if (ascii(head, 0, 3) === 'ID3' || (head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0))
    return 'audio/mpeg';
  if (ascii(head, 0, 5) === '%PDF-') return 'application/pdf';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06]))
    return 'application/zip';
  if (startsWith(head, [0x1f, 0x8b])) return 'application/gzip';
  return undefined;
}

/** True when the bytes read as text: UTF-8 (or its BOM), no NULs and few control characters. */
function looksLikeText(head: Buffer): boolean {
  if (head.length === 0) return false;
  let controls = 0;
  for (const byte of head) {
    if (byte === 0) return false;
    if (byte < 0x09 || (byte > 0x0d && byte < 0x20)) controls++;
  }
  if (controls > head.length / 100) return false;
  // A multi-byte sequence cut at the end of the sample is still text.
  const decoded = new TextDecoder('utf-8', { fatal: false }).decode(head);
  const replaced = decoded.length - decoded.replaceAll('\ufffd', '').length;
  return replaced <= 3;
}

/**
 * Markup a browser would treat as a page or a document with scripts. Browsers sniff loosely, so
 * any of these tags near the start counts, after whitespace, comments and declarations.
 */
function markupType(text: string): string | undefined {
  const lower = text.toLowerCase();
  const body = lower.replace(/^\ufeff/, '').trimStart();
  if (
    /<svg[\s>/]/.test(lower) &&
    (body.startsWith('<svg') || body.startsWith('<?xml') || body.startsWith('<!'))
  )
    return 'image/svg+xml';
  const pageTags = ['<!doctype html', '<html', '<head', '<body', '<script', '<iframe', '<object', '<embed'];
  const early = lower.slice(0, 1024);
  if (pageTags.some((tag) => early.includes(tag))) return 'text/html';
  if (/<svg[\s>/]/.test(early)) return 'image/svg+xml';
  if (body.startsWith('<?xml')) return 'application/xml';
  return undefined;
}

const ACTIVE = new Set(['image/svg+xml', 'text/html', 'application/xml']);

function kindOf(mime: string): MediaKind {
  if (mime === 'image/svg+xml') return 'file';
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('audio/')) return 'audio';
  return 'file';
}

/** Detects the type of a file from its first bytes (at least `SNIFF_BYTES` of them when it is that long). */
export function detectType(head: Buffer): DetectedType {
  let mime = binaryType(head);
  if (mime === undefined && looksLikeText(head)) {
    mime = markupType(head.toString('utf8')) ?? 'text/plain';
  }
  mime ??= 'application/octet-stream';
  return { mime, kind: kindOf(mime), active: ACTIVE.has(mime) };
}

/** Other names for the same types that clients send. */
const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-png': 'image/png',
  'image/x-ms-bmp': 'image/bmp',
  'image/heif': 'image/heic',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/mp3': 'audio/mpeg',
  'audio/x-m4a': 'audio/mp4',
  'audio/x-flac': 'audio/flac',
  'video/x-m4v': 'video/mp4',
  'video/x-matroska': 'video/webm',
  'application/x-zip-compressed': 'application/zip',
  'application/x-gzip': 'application/gzip',
  'text/xml': 'application/xml',
};

/** Types carried in a container the bytes show as something more general. */
const CONTAINED_IN: Record<string, string[]> = {
  'application/zip': [
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    'application/vnd.oasis.opendocument.text',
    'application/vnd.oasis.opendocument.spreadsheet',
    'application/epub+zip',
    'application/java-archive',
  ],
  'video/mp4': ['video/quicktime', 'audio/mp4', 'video/3gpp'],
  'video/quicktime': ['video/mp4'],
  'audio/mp4': ['video/mp4'],
  'video/webm': ['audio/webm'],
  'audio/ogg': ['video/ogg', 'application/ogg'],
  'text/plain': ['text/csv', 'text/markdown', 'application/json', 'text/calendar', 'text/vcard'],
  'application/xml': ['image/svg+xml'],
};

/** What a file name's extension claims, for the extensions whose bytes detection recognises. */
const EXTENSIONS: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  jfif: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  heic: 'image/heic',
  heif: 'image/heic',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  bmp: 'image/bmp',
  svg: 'image/svg+xml',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  mkv: 'video/webm',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  html: 'text/html',
  htm: 'text/html',
  xml: 'application/xml',
  txt: 'text/plain',
};

export function normaliseMime(mime: string): string {
  const bare = mime.split(';')[0]!.trim().toLowerCase();
  return ALIASES[bare] ?? bare;
}

/** The type a file name's extension claims, when detection would recognise such bytes. */
export function typeOfName(fileName: string): string | undefined {
  const dot = fileName.lastIndexOf('.');
  if (dot < 0) return undefined;
  return EXTENSIONS[fileName.slice(dot + 1).toLowerCase()];
}

/**
 * True when a claimed type agrees with the detected one. `application/octet-stream` claims
 * nothing. A claim of a type whose bytes detection knows (an image, a video, a PDF) must match
 * them; a claim of a type it does not know is accepted only for bytes it does not know either.
 */
export function claimAgrees(claimed: string, detected: string): boolean {
  const claim = normaliseMime(claimed);
  if (claim === 'application/octet-stream' || claim === detected) return true;
  if (CONTAINED_IN[detected]?.includes(claim)) return true;
  if (detected !== 'application/octet-stream') return false;
  const known = new Set([...Object.values(EXTENSIONS), ...Object.values(ALIASES)]);
  const family = claim.split('/')[0];
  return !known.has(claim) && family !== 'image' && family !== 'video' && family !== 'audio';
}

/** Why the claims about a file contradict its bytes, or undefined when they agree. */
export function typeMismatch(
  detected: DetectedType,
  declaredType: string,
  fileName: string,
): string | undefined {
  if (!claimAgrees(declaredType, detected.mime)) {
    return `declared as ${normaliseMime(declaredType)} but the bytes are ${detected.mime}`;
  }
  const byName = typeOfName(fileName);
  if (byName !== undefined && !claimAgrees(byName, detected.mime)) {
    return `named as ${byName} but the bytes are ${detected.mime}`;
  }
  return undefined;
}

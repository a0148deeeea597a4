import { claimAgrees, detectType, typeMismatch, typeOfName } from '@parley/workflows';
import t from 'tap';
import {
  HTML_PAGE,
  SVG_WITH_SCRIPT,
  jpegWithGps,
  mp4Clip,
  pngDeclaring,
  smallPng,
} from '../../../test/support/media';

t.test('recognises images, video, audio and documents by their bytes', async (t) => {
  const cases: [string, Buffer, string, string][] = [
    ['jpeg', await jpegWithGps(64, 48), 'image/jpeg', 'image'],
    ['png', await smallPng(), 'image/png', 'image'],
    ['png header only', pngDeclaring(), 'image/png', 'image'],
    ['gif', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), 'image/gif', 'image'],
    ['webp', Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1'), 'image/webp', 'image'],
    ['mp4', mp4Clip(), 'video/mp4', 'video'],
    ['mov', Buffer.from('\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00', 'latin1'), 'video/quicktime', 'video'],
    ['webm', Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86]), 'video/webm', 'video'],
    ['mp3', Buffer.from('ID3\x04\x00\x00\x00', 'latin1'), 'audio/mpeg', 'audio'],
    ['wav', Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'), 'audio/wav', 'audio'],
    ['pdf', Buffer.from('%PDF-1.7\n%\xe2\xe3\n', 'latin1'), 'application/pdf', 'file'],
    ['zip', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), 'application/zip', 'file'],
    ['text', Buffer.from('hello, plain words\nsecond line\n'), 'text/plain', 'file'],
    ['binary noise', Buffer.from([0x00, 0x01, 0x02, 0xfe, 0x00, 0x07]), 'application/octet-stream', 'file'],
  ];
  for (const [name, bytes, mime, kind] of cases) {
    const detected = detectType(bytes);
    t.equal(detected.mime, mime, `${name} is ${mime}`);
    t.equal(detected.kind, kind, `${name} is a kind of ${kind}`);
    t.equal(detected.active, false, `${name} is not active content`);
  }
});

t.test('markup a browser would run is active, however it starts', async (t) => {
  const active: [string, Buffer, string][] = [
    ['svg with script', SVG_WITH_SCRIPT, 'image/svg+xml'],
    ['bare svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>'), 'image/svg+xml'],
    ['svg after a BOM and a comment', Buffer.from('\ufeff<!-- hi --><svg onload="x()">'), 'image/svg+xml'],
    ['html page', HTML_PAGE, 'text/html'],
    ['html fragment with a script', Buffer.from('  hello <script>alert(1)</script>'), 'text/html'],
    ['upper-case html', Buffer.from('<HTML><BODY>hi</BODY></HTML>'), 'text/html'],
    ['xml', Buffer.from('<?xml version="1.0"?><note/>'), 'application/xml'],
  ];
  for (const [name, bytes, mime] of active) {
    const detected = detectType(bytes);
    t.equal(detected.mime, mime, `${name} is ${mime}`);
    t.ok(detected.active, `${name} is active content`);
    t.equal(detected.kind, 'file', `${name} is served as a file, never as an image`);
  }
});

t.test('a claim must agree with the bytes', async (t) => {
  const html = detectType(HTML_PAGE);
  t.match(typeMismatch(html, 'image/png', 'cat.png'), /declared as image\/png but the bytes are text\/html/);
  t.match(typeMismatch(html, 'application/octet-stream', 'cat.png'), /named as image\/png/);
  t.equal(typeMismatch(html, 'text/html', 'page.html'), undefined, 'html said to be html is accepted');

  const jpeg = detectType(await jpegWithGps(32, 32));
  t.equal(typeMismatch(jpeg, 'image/jpeg', 'IMG_0001.JPG'), undefined);
  t.equal(typeMismatch(jpeg, 'image/jpg', 'photo.jpeg'), undefined, 'an alias of the type agrees');
  t.equal(typeMismatch(jpeg, 'application/octet-stream', 'photo'), undefined, 'no claim at all agrees');
  t.match(typeMismatch(jpeg, 'image/png', 'photo.jpg'), /declared as image\/png/);
  t.match(typeMismatch(jpeg, 'video/mp4', 'clip.mp4'), /declared as video\/mp4/);

  const mp4 = detectType(mp4Clip());
  t.equal(typeMismatch(mp4, 'video/quicktime', 'clip.mov'), undefined, 'MOV and MP4 share a container');
  t.match(typeMismatch(mp4, 'image/gif', 'x.gif'), /declared/);

  const zip = detectType(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]));
  const docx = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
  t.equal(typeMismatch(zip, docx, 'report.docx'), undefined, 'an office document is a zip');

  const text = detectType(Buffer.from('{"a": 1}\n'));
  t.equal(typeMismatch(text, 'application/json', 'data.json'), undefined, 'JSON is text');
  t.match(typeMismatch(text, 'application/pdf', 'doc.pdf'), /declared as application\/pdf/);

  const unknown = detectType(Buffer.from([0x00, 0x01, 0x02, 0xfe]));
  t.equal(claimAgrees('application/x-custom', unknown.mime), true, 'an unknown type for unknown bytes');
  t.equal(claimAgrees('image/png', unknown.mime), false, 'an image type for bytes of no image');
});

t.test('names claim types by extension, case aside', async (t) => {
  t.equal(typeOfName('Holiday.JPG'), 'image/jpeg');
  t.equal(typeOfName('page.htm'), 'text/html');
  t.equal(typeOfName('README'), undefined);
  t.equal(typeOfName('archive.tar.unknownext'), undefined);
});

import t from 'tap';
import { uploadName } from '../src/media/upload-name';

t.test('keeps an ordinary name as it is', async (t) => {
  for (const name of ['notes.txt', 'Résumé 2026.pdf', 'фото.jpg', 'a b (1).tar.gz', '🙂.gif']) {
    t.equal(uploadName(name), name);
  }
});

t.test('drops what the media service refuses, so the file still uploads', async (t) => {
  t.equal(uploadName('invoice\u202Efdp.exe'), 'invoicefdp.exe', 'a right-to-left override');
  t.equal(uploadName('\u200Fשלום.txt'), 'שלום.txt', 'a direction mark');
  t.equal(uploadName('a\u0007b.txt'), 'ab.txt', 'a control character');
  t.equal(uploadName('a\u2028b\u2029c.txt'), 'abc.txt', 'line and paragraph separators');
  t.equal(uploadName('pay\u200Bpal\u2060.pdf'), 'paypal.pdf', 'a zero-width space and a word joiner');
  t.equal(uploadName('\uFEFFin\u00ADvoice.pdf'), 'invoice.pdf', 'a byte order mark and a soft hyphen');
  t.equal(uploadName('dir/a\\b.txt'), 'dir_a_b.txt', 'path separators');
  t.equal(uploadName(' padded.txt '), 'padded.txt', 'surrounding space');
});

t.test('keeps the joiners, selectors and tags of emoji sequences', async (t) => {
  for (const name of [
    '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}.png',
    '1\uFE0F\u20E3 list.txt',
    '\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}.jpg',
    'می\u200Cخواهم.txt',
  ]) {
    t.equal(uploadName(name), name, JSON.stringify(name));
  }
});

t.test('falls back to "file" when nothing is left, and keeps at most 255 characters', async (t) => {
  for (const name of ['', '\u202E', '..', ' . ']) t.equal(uploadName(name), 'file', JSON.stringify(name));
  t.equal(uploadName('a'.repeat(300)), 'a'.repeat(255));
  // The service counts UTF-16 units: 127 two-unit characters fit, and none is cut in half.
  t.equal(uploadName('🙂'.repeat(300)), '🙂'.repeat(127));
});

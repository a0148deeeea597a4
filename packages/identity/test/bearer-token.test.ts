import t from 'tap';
import { bearerToken } from '../src/middleware';

// RFC 9110 (section 11.1): the authentication scheme is case-insensitive, and one or more spaces
// may follow it.

t.test('the scheme is read in any case', async (t) => {
  for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
    t.equal(bearerToken(`${scheme} abc.def-ghi_`), 'abc.def-ghi_', scheme);
  }
  t.equal(bearerToken('Bearer   abc'), 'abc', 'more than one space after the scheme');
});

t.test('anything else is no bearer token', async (t) => {
  for (const header of [undefined, '', 'Bearer', 'Bearer ', 'Basic abc', 'Bearerabc', 'Bearer a b']) {
    t.equal(bearerToken(header), undefined, JSON.stringify(header));
  }
});

import t from 'tap';
import { isPlainPath, isSidecarError, requirePlainPath } from '../src/index';

t.test('plain paths pass, whatever their query holds', async (t) => {
  for (const path of [
    'v1/conversations',
    '/v1/conversations/c_1/messages?after=3&limit=50',
    'internal/v1/users/u%40x/contact',
    'v1/search/messages?q=../../etc%2Fpasswd',
    'v1/media/m_1/content/a..b.png',
    'v1/users/...',
    'internal/v1/sends/notify-u1%2Fpush%2Fm_1',
    'v1/messages/m_1/reactions/%F0%9F%91%8D',
  ]) {
    t.ok(isPlainPath(path), path);
  }
});

t.test('paths a URL parser would resolve or misread are refused', async (t) => {
  for (const path of [
    'v1/conversations/../../internal/v1/users',
    'v1/conversations/./c_1',
    'v1/messages/%2e%2e/%2e%2e/metadata',
    'v1/messages/%2E%2e/x',
    'v1/messages/.%2E/x',
    'v1/users/..%2F..%2Finternal',
    'v1/users/..%5c..%5cinternal',
    'v1/users/%09',
    'v1/messages/%252e%252e/x',
    'v1/messages/%25252e%25252e/x',
    'v1/messages/m_1/reactions/%2525',
    'v1/messages/m_1/reactions/%25',
    'v1/messages/m_1/reactions/%3F',
    'v1/messages/m_1/reactions/%23',
    'v1/users/a\\b',
    'v1/users/%2F..%2Fx',
    'v1/users/a%00b',
    'v1/users/a%7Fb',
    'v1/conversations/%zz',
    'v1/conversations/%E0%A4%A',
    '..',
  ]) {
    t.notOk(isPlainPath(path), path);
  }
});

t.test('requirePlainPath throws a 400 with its own code', async (t) => {
  t.doesNotThrow(() => requirePlainPath('v1/users/me'));
  t.throws(() => requirePlainPath('v1/users/%2e%2e/x'), { status: 400, code: 'PATH_INVALID' });
});

t.test('a sidecar error body is told from an app answer', async (t) => {
  t.ok(isSidecarError({ errorCode: 'ERR_DIRECT_INVOKE', message: 'fail to invoke' }));
  t.notOk(isSidecarError({ code: 'CHAT_NOT_MEMBER', status: 404 }));
  t.notOk(isSidecarError({ errorCode: 'SOMETHING' }));
  t.notOk(isSidecarError('ERR_DIRECT_INVOKE'));
  t.notOk(isSidecarError(null));
});

import { request } from 'node:http';
import { AppError } from '@parley/service-kit';
import express, { type NextFunction, type Request, type Response } from 'express';
import t from 'tap';
import { refuseDeclaredOversize } from '../src/proxy/declared-size';
import { onLoopback } from './loopback';

const LIMIT = 1024;

/** Declares `declared` bytes, sends three and waits for an answer without sending the rest. */
function stalledPost(port: number, path: string, declared: number) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({
      port,
      host: '127.0.0.1',
      path,
      method: 'POST',
      headers: { 'content-length': String(declared) },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (part: string) => (body += part));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.write('abc');
  });
}

t.test('a streamed upload declaring more than the limit is refused before its body', async (t) => {
  const app = express();
  let forwarded = 0;
  app.use('/api/v1', refuseDeclaredOversize(LIMIT), (_req, res) => {
    forwarded += 1;
    res.status(204).end();
  });
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    const status = err instanceof AppError ? err.status : 500;
    res.status(status).json({ code: err instanceof AppError ? err.code : 'INTERNAL' });
  });
  const port = await onLoopback(t, app);

  const refused = await stalledPost(port, '/api/v1/media?fileName=a.bin', 200 * 1024 * 1024);
  t.equal(refused.status, 413, 'answered although the body never came');
  t.same(JSON.parse(refused.body), { code: 'MEDIA_TOO_LARGE' });
  const slashed = await stalledPost(port, '/api/v1/media/?fileName=a.bin', 200 * 1024 * 1024);
  t.equal(slashed.status, 413, 'nor with a trailing slash, which reaches the same route');
  t.equal(forwarded, 0, 'nothing was forwarded');

  const fits = await fetch(`http://127.0.0.1:${port}/api/v1/media?fileName=a.bin`, {
    method: 'POST',
    body: Buffer.alloc(LIMIT),
  });
  t.equal(fits.status, 204, 'a body at the limit goes on');
  const other = await fetch(`http://127.0.0.1:${port}/api/v1/media/uploads`, {
    method: 'POST',
    body: Buffer.alloc(LIMIT + 1),
  });
  t.equal(other.status, 204, 'other routes are not its to judge');
  t.equal(forwarded, 2);
});

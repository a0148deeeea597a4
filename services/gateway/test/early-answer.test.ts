import { request } from 'node:http';
import express from 'express';
import t from 'tap';
import { closeAfterEarlyAnswer } from '../src/proxy/early-answer';
import { onLoopback } from './loopback';

/**
 * Sends a body that never ends, as fast as the connection takes it, and resolves with the answer
 * and whether the connection then ended; rejects on a broken pipe or reset before any answer.
 */
function endlessPost(port: number) {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  return new Promise<{ status: number; body: string; ended: boolean }>((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path: '/upload', method: 'POST' });
    let answered = false;
    const pump = () => {
      while (!answered) if (!req.write(chunk)) return void req.once('drain', pump);
    };
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (part: string) => (body += part));
      res.on('end', () => {
        const socket = req.socket;
        if (!socket) return resolve({ status: res.statusCode ?? 0, body, ended: true });
        // The server half-closes after the answer: the socket's readable side ends.
        if (socket.readableEnded) return resolve({ status: res.statusCode ?? 0, body, ended: true });
        socket.once('end', () => resolve({ status: res.statusCode ?? 0, body, ended: true }));
        socket.once('close', () => resolve({ status: res.statusCode ?? 0, body, ended: true }));
      });
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    pump();
  });
}

t.test('an answer sent before the body ends reaches a client that is still sending', async (t) => {
  const app = express();
  let closed = 0;
  app.post('/upload', (req, res) => {
    // Refuse after the first bytes, as an upload over its limit is refused while it streams.
    req.once('data', () => {
      closeAfterEarlyAnswer(req, res, 200);
      req.socket.once('close', () => (closed += 1));
      res.status(413).json({ code: 'TOO_LARGE' });
    });
  });
  const port = await onLoopback(t, app);
  for (let i = 0; i < 25; i++) {
    const answer = await endlessPost(port);
    t.equal(answer.status, 413, `attempt ${i + 1}: the refusal arrived`);
    t.same(JSON.parse(answer.body), { code: 'TOO_LARGE' });
    t.ok(answer.ended, 'and the connection ended after it');
  }
  // Every connection is closed a moment after its answer, not left open.
  const until = Date.now() + 5_000;
  while (closed < 25 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(closed, 25, 'each connection was closed after the linger');
});

import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Test } from 'tap';

/**
 * One request to `127.0.0.1:port` through node:http, which, unlike fetch, sends a body with a GET:
 * `body`, when given, goes as JSON with its length (without which Node sends no body for a GET or
 * a DELETE). Answers the status and the problem's code, if the answer has one.
 */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; code?: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const sent = {
      ...headers,
      ...(payload === undefined
        ? {}
        : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
    };
    const req = request({ host: '127.0.0.1', port, method, path, headers: sent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        const { code } = (text ? JSON.parse(text) : {}) as { code?: string };
        resolve({ status: res.statusCode ?? 0, code });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Serves `app` on a free loopback port until the test ends, and answers a function that sends it
 * one request with `headers` (see `rawRequest`).
 */
export async function rawCaller(t: Test, app: Express, headers: Record<string, string>) {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as AddressInfo;
  return (method: string, path: string, body?: unknown) => rawRequest(port, method, path, headers, body);
}

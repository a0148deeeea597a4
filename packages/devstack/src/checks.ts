import { spawn } from 'node:child_process';
import { connect } from 'node:net';

/** True when something accepts TCP connections on the port. */
export function tcpOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True when the URL answers one of the expected statuses; otherwise throws with the answer. */
export async function httpStatus(url: string, expected: readonly number[] = [200]): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(3_000) });
  const body = await response.text();
  if (expected.includes(response.status)) return true;
  // The answer says why (a readiness report names its failing checks): a start-up that times out
  // then reports it, instead of an older, unrelated connection error.
  throw new Error(`answered ${response.status}${body ? `: ${body.slice(0, 500)}` : ''}`);
}

/** Sends a PING over the Redis protocol and expects PONG. */
export function redisPing(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
  });
}

/** Runs a command and resolves with its exit code and output. */
export function run(
  command: string,
  args: string[],
  timeoutMs = 10_000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, output: err.message });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

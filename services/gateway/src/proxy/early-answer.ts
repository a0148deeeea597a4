import type { Request, Response } from 'express';

/** How long a connection whose body was cut short is still read after the answer went out. */
const LINGER_MS = 1_000;

/**
 * For an answer sent before the client finished its body (an upload refused at its size limit):
 * what the client still sends is read and dropped, and once the answer is out the connection is
 * half-closed, so the client reads the answer and then the end, and only a moment later closed.
 *
 * Answering `connection: close` instead makes Node close the socket as soon as the answer is
 * written. A socket closed while the peer is still sending is reset, and a reset can throw away
 * the answer in the client's buffers before it is read: the client sees a broken pipe, not the
 * refusal.
 */
export function closeAfterEarlyAnswer(req: Request, res: Response, lingerMs = LINGER_MS): void {
  req.resume();
  const socket = req.socket;
  res.once('finish', () => {
    socket.end();
    setTimeout(() => socket.destroy(), lingerMs).unref();
  });
}

import { type Socket, connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/** The end of an email's content in the SMTP DATA phase (RFC 5321, section 4.1.1.4). */
const END_OF_DATA = '\r\n.\r\n';

export interface SmtpRelay {
  /** What to hand the worker as `SMTP_URL`. */
  url: string;
  /**
   * The next email the mail server accepts is delivered, but its final reply ("250") is held
   * from the sender until `release` is called: as when a sender dies or stalls right after the
   * server took the email. `accepted` resolves once the server replied.
   */
  holdNextAcceptance(): { accepted: Promise<void>; release: () => void };
  close(): Promise<void>;
}

/**
 * A loopback TCP relay in front of a mail server (the stack's MailDev): everything passes through
 * unchanged, except a final reply held on request.
 */
export async function startSmtpRelay(upstreamPort: number): Promise<SmtpRelay> {
  let hold: { onAccepted: () => void; released: Promise<void> } | null = null;
  const sockets = new Set<Socket>();

  const server = createServer((client) => {
    const upstream = connect(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let tail = '';
    // Set while this connection's email is the held one and the server's reply is awaited.
    let holding: { onAccepted: () => void; released: Promise<void> } | null = null;

    client.on('data', (chunk) => {
      tail = (tail + chunk.toString('latin1')).slice(-END_OF_DATA.length);
      if (hold && tail === END_OF_DATA) {
        holding = hold;
        hold = null;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      const held = holding;
      if (!held) {
        client.write(chunk);
        return;
      }
      holding = null;
      upstream.pause();
      held.onAccepted();
      void held.released.then(() => {
        client.write(chunk);
        upstream.resume();
      });
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    holdNextAcceptance() {
      let release = () => {};
      let onAccepted = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      const accepted = new Promise<void>((resolve) => (onAccepted = resolve));
      hold = { onAccepted, released };
      return { accepted, release };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

import { type LookupAddress, lookup as dnsLookup } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, type LookupFunction, isIP } from 'node:net';

/**
 * Addresses a push service never has: private, loopback, link-local (cloud metadata among them),
 * shared, multicast, reserved and documentation ranges. A push endpoint is a URL any user names,
 * so the worker must not be made to post into the network it runs in.
 */
const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

/** An IPv4 address carried inside an IPv6 one (mapped, compatible or NAT64), if any. */
function embeddedIpv4(address: string): string | null {
  const match = /^(?:::ffff:|::|64:ff9b::)((?:\d{1,3}\.){3}\d{1,3})$/i.exec(address);
  if (match) return match[1]!;
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return null;
  const high = parseInt(hex[1]!, 16);
  const low = parseInt(hex[2]!, 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** True for an address a public push service may have. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !NOT_PUBLIC.check(address, 'ipv4');
  if (family !== 6) return false;
  const inner = embeddedIpv4(address);
  if (inner !== null) return isPublicAddress(inner);
  return !NOT_PUBLIC.check(address, 'ipv6');
}

/** A push endpoint whose name resolves to an address the worker does not post to. */
export class PushAddressRefusedError extends Error {
  readonly code = 'PUSH_ADDRESS_REFUSED';
  constructor(hostname: string, address: string) {
    super(`push endpoint ${hostname} resolves to ${address}, which is not a public address`);
    this.name = 'PushAddressRefusedError';
  }
}

/**
 * A DNS lookup that answers only public addresses, checked on the very addresses the socket then
 * connects to, so a name that resolves differently on a second lookup (DNS rebinding) gains
 * nothing. With `allowLoopback` (tests only) 127.0.0.1 passes too.
 */
export function publicOnlyLookup(allowLoopback: boolean): LookupFunction {
  const allowed = (address: string) => isPublicAddress(address) || (allowLoopback && address === '127.0.0.1');
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, found: LookupAddress[]) => {
      if (err) {
        callback(err, '', 0);
        return;
      }
      const refused = found.find((entry) => !allowed(entry.address));
      if (refused || found.length === 0) {
        callback(
          new PushAddressRefusedError(hostname, refused?.address ?? 'nothing') as NodeJS.ErrnoException,
          '',
          0,
        );
        return;
      }
      if (options.all) {
        (callback as unknown as (e: null, addresses: LookupAddress[]) => void)(null, found);
        return;
      }
      callback(null, found[0]!.address, found[0]!.family);
    });
  };
}

export interface PushRequest {
  endpoint: string;
  headers: Record<string, string>;
  body: Buffer | null;
  timeoutMs: number;
  allowLoopback: boolean;
}

/**
 * POSTs one push and resolves with the status the push service answered; the answer's body is
 * read and dropped. Redirects are not followed (a 3xx is an answer like any other). A network
 * error, a timeout or a refused address rejects.
 */
export function postPush({
  endpoint,
  headers,
  body,
  timeoutMs,
  allowLoopback,
}: PushRequest): Promise<number> {
  const url = new URL(endpoint);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  // An address in the URL itself is connected to without a lookup, so it is checked here.
  const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(literal) !== 0 && !isPublicAddress(literal) && !(allowLoopback && literal === '127.0.0.1')) {
    return Promise.reject(new PushAddressRefusedError(url.hostname, literal));
  }
  return new Promise<number>((resolve, reject) => {
    const request = send(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(body?.length ?? 0) },
        lookup: publicOnlyLookup(allowLoopback),
        signal: AbortSignal.timeout(timeoutMs),
        // No pooled connection: each push resolves and checks its address afresh.
        agent: false,
      },
      (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode ?? 0));
        response.once('error', reject);
      },
    );
    request.once('error', reject);
    request.end(body ?? undefined);
  });
}

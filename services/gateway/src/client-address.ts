import { isIP } from 'node:net';
import type { Express } from 'express';
import { z } from 'zod';

/** Names of address ranges a proxy list may use instead of addresses. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, an address with a prefix length (`10.0.0.0/8`, `fd00::/8`), or a range name. */
function isProxyEntry(entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  // At least 1: a proxy list that trusts every address would let any client name its own.
  return /^\d{1,3}$/.test(prefix) && Number(prefix) >= 1 && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** The longest key an address may give a limit: any longer is no address. */
const MAX_ADDRESS_LENGTH = 45;

/**
 * The key a client's address is counted under. An IPv4 address written as IPv6 (`::ffff:1.2.3.4`)
 * is the IPv4 one; what a proxy passed on that is no address at all shares one key, so junk in
 * `X-Forwarded-For` buys no budget of its own.
 */
export function addressKey(address: string | undefined): string {
  if (!address || address.length > MAX_ADDRESS_LENGTH || isIP(address) === 0) return 'not-an-address';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1]! : address.toLowerCase();
}

/**
 * The reverse proxies in front of the gateway, comma-separated (`127.0.0.1,10.0.0.0/8`, or
 * `loopback`). A request arriving from one of them is counted against the address its
 * `X-Forwarded-For` names: the nearest entry not itself a trusted proxy. Empty (the default):
 * no proxy is trusted and the header is ignored, so a client cannot choose its own address.
 */
export const trustedProxiesSchema = z
  .string()
  .default('')
  .transform((list) =>
    list
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
  )
  .refine((entries) => entries.every(isProxyEntry), {
    message: 'must be addresses, addresses with a prefix length, or loopback/linklocal/uniquelocal',
  });

/** Makes `req.ip` the client's address as the trusted proxies report it. */
export function trustProxies(app: Express, proxies: readonly string[]): void {
  app.set('trust proxy', proxies.length > 0 ? [...proxies] : false);
}

import { isIP } from 'node:net';
import type { Express } from 'express';
import { z } from 'zod';

/** Names of address ranges a proxy list may use instead of addresses. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Narrowest ranges a proxy entry may name: wider would trust much of the internet. */
const MIN_IPV4_PREFIX = 8;
const MIN_IPV6_PREFIX = 7;

/**
 * An address, an address with a prefix length (`10.0.0.0/8`, `fd00::/8`), or a range name. A
 * range wider than a /8 of IPv4 (IPv4 written as IPv6 included) or a /7 of IPv6 is refused,
 * as are the unspecified addresses and zone ids: no proxy has them.
 */
function isProxyEntry(entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0 || address.includes('%')) return false;
  const canonical = family === 6 ? canonicalIpv6(address) : address;
  if (canonical === '0.0.0.0' || canonical === '::') return false;
  if (prefix === undefined) return true;
  if (!/^[1-9]\d{0,2}$/.test(prefix)) return false;
  const bits = Number(prefix);
  if (family === 4) return bits >= MIN_IPV4_PREFIX && bits <= 32;
  const carriesIpv4 = ipv4Inside(canonical) !== null || /^::ffff:(0:)?[0:]*$/.test(canonical);
  return bits <= 128 && bits >= (carriesIpv4 ? 96 + MIN_IPV4_PREFIX : MIN_IPV6_PREFIX);
}

/** An IPv6 address as the URL standard writes it: lowercase, zeros compressed, no zone id. */
function canonicalIpv6(address: string): string {
  return new URL(`http://[${address.split('%')[0]}]/`).hostname.slice(1, -1);
}

/** The IPv4 address inside a mapped, translated or compatible IPv6 one, if any. */
function ipv4Inside(canonical: string): string | null {
  const match = /^::(?:ffff:(?:0:)?)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!match) return null;
  const high = parseInt(match[1]!, 16);
  const low = parseInt(match[2]!, 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** The longest key an address may give a limit: any longer is no address. */
const MAX_ADDRESS_LENGTH = 45;

/**
 * The key a client's address is counted under: one per address however it is spelled. IPv6 is
 * written canonically without a zone id, and an IPv4 address written as IPv6 is the IPv4 one;
 * what a proxy passed on that is no address at all shares one key, so junk in
 * `X-Forwarded-For` buys no budget of its own.
 */
export function addressKey(address: string | undefined): string {
  const bare = address?.split('%')[0] ?? '';
  if (bare.length > MAX_ADDRESS_LENGTH) return 'not-an-address';
  const family = isIP(bare);
  if (family === 4) return bare;
  if (family !== 6) return 'not-an-address';
  const canonical = canonicalIpv6(bare);
  return ipv4Inside(canonical) ?? canonical;
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

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAPR_APPS, type DaprApp } from '@parley/contracts';

/** Tokens between each app and its sidecar, and the operator token. Kept in the data folder. */
export interface StackSecrets {
  opsToken: string;
  /** Encrypts the auth service's token signing keys at rest (32 bytes, base64). */
  signingKeyEncryptionKey: string;
  /** Signs the notification service's group invite links (HMAC-SHA256). */
  inviteLinkSecret: string;
  /** Signs the notification service's unsubscribe links (HMAC-SHA256). */
  notificationLinkSecret: string;
  /** The VAPID key pair (RFC 8292) web push is signed with, base64url. */
  vapid: { publicKey: string; privateKey: string };
  apps: Record<DaprApp, { daprApiToken: string; appApiToken: string }>;
}

const token = () => randomBytes(24).toString('base64url');

/** Reads the secrets of an earlier run, adding any that are missing, so restarts keep them. */
export function loadOrCreateSecrets(dataDir: string): StackSecrets {
  const file = join(dataDir, 'secrets.json');
  const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<StackSecrets>) : {};
  const apps = { ...existing.apps } as StackSecrets['apps'];
  for (const app of DAPR_APPS) {
    apps[app] ??= { daprApiToken: token(), appApiToken: token() };
  }
  const secrets: StackSecrets = {
    ...existing,
    opsToken: existing.opsToken ?? token(),
    signingKeyEncryptionKey: existing.signingKeyEncryptionKey ?? randomBytes(32).toString('base64'),
    inviteLinkSecret: existing.inviteLinkSecret ?? randomBytes(32).toString('base64url'),
    notificationLinkSecret: existing.notificationLinkSecret ?? randomBytes(32).toString('base64url'),
    vapid: existing.vapid ?? vapidKeys(),
    apps,
  };
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

/** A P-256 key pair as VAPID wants it: the uncompressed public point and the private scalar. */
function vapidKeys(): { publicKey: string; privateKey: string } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = privateKey.export({ format: 'jwk' });
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x ?? '', 'base64url'),
    Buffer.from(jwk.y ?? '', 'base64url'),
  ]);
  return { publicKey: point.toString('base64url'), privateKey: jwk.d ?? '' };
}

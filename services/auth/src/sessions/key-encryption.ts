import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';

/** A private JWK encrypted with AES-256-GCM, bound to the signing key's id. */
export interface SealedJwk {
  /** Which key-encryption key sealed it: the first 16 hex digits of its SHA-256. */
  kekId: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

/** A configured key is not 32 bytes of base64. */
export class KeyEncryptionConfigError extends Error {
  override name = 'KeyEncryptionConfigError';
}

/** A sealed key could not be opened: a wrong or missing key-encryption key, or altered data. */
export class SealedKeyError extends Error {
  override name = 'SealedKeyError';
}

interface Kek {
  id: string;
  key: Buffer;
}

/**
 * Encrypts the token signing keys at rest. The key-encryption key comes from the environment (a
 * secret store in production), never from the database. A previous key may be configured while
 * replacing it: keys sealed with it still open, and are sealed again with the current one.
 */
export class KeyEncryption {
  private readonly current: Kek;
  private readonly all: Map<string, Kek>;

  constructor(currentKey: string, previousKeys: readonly string[] = []) {
    this.current = kekOf(currentKey);
    this.all = new Map([this.current, ...previousKeys.map(kekOf)].map((kek) => [kek.id, kek]));
  }

  seal(jwk: JWK, kid: string): SealedJwk {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(kid, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(jwk), 'utf8'), cipher.final()]);
    return {
      kekId: this.current.id,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
  }

  open(sealed: SealedJwk, kid: string): JWK {
    const kek = this.all.get(sealed.kekId);
    if (!kek) {
      throw new SealedKeyError(
        `signing key ${kid} was sealed with key-encryption key ${sealed.kekId}, which is not configured`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', kek.key, Buffer.from(sealed.iv, 'base64'));
      decipher.setAAD(Buffer.from(kid, 'utf8'));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      const plain = Buffer.concat([
        decipher.update(Buffer.from(sealed.ciphertext, 'base64')),
        decipher.final(),
      ]);
      return JSON.parse(plain.toString('utf8')) as JWK;
    } catch (err) {
      throw new SealedKeyError(`signing key ${kid} could not be opened: it was altered`, { cause: err });
    }
  }

  /** True when the current key-encryption key sealed it. */
  isCurrent(sealed: SealedJwk): boolean {
    return sealed.kekId === this.current.id;
  }
}

function kekOf(encoded: string): Kek {
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== 32 || key.toString('base64') !== encoded.trim()) {
    throw new KeyEncryptionConfigError('a key-encryption key must be 32 bytes in base64');
  }
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

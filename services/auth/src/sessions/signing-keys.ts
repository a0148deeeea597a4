import { randomUUID } from 'node:crypto';
import type { Logger } from '@parley/service-kit';
import {
  type CryptoKey,
  type JWK,
  type JWTVerifyGetKey,
  exportJWK,
  generateKeyPair,
  importJWK,
  errors,
} from 'jose';
import type { Collection, Db } from 'mongodb';

/** The one algorithm this service signs with; verifiers accept only asymmetric ones. */
export const SIGNING_ALGORITHM = 'EdDSA';

export interface SigningKeyDoc {
  /** The `kid` of tokens it signs. */
  _id: string;
  alg: typeof SIGNING_ALGORITHM;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: Date;
  /** After this it signs nothing new. */
  signsUntil: Date;
  /** The JWKS lists it until then: until the last token it signed has expired. */
  publishedUntil: Date;
}

export interface SigningKeyOptions {
  /** How long a key signs before the next one takes over, in seconds. */
  rotationSeconds: number;
  /** Lifetime of access tokens, in seconds: a retired key stays published this long (plus slack). */
  accessTokenTtlSeconds: number;
  logger: Logger;
}

/** Kept in memory this long before the key set is read again, so replicas see each other's rotations. */
const RELOAD_MS = 30_000;
/** Beyond a token's lifetime, so that clock skew between services never strands a valid token. */
const PUBLISH_SLACK_MS = 60_000;

interface LoadedKey {
  doc: SigningKeyDoc;
  privateKey: CryptoKey | Uint8Array;
}

/**
 * The keys access tokens are signed with, persisted in MongoDB so that restarts keep them. A
 * rotation makes a new key the signer and keeps the old public key in the JWKS until every token
 * it signed has expired, so nobody is logged out by it.
 * TODO(key-encryption): private keys are stored as plain JWKs, so whoever reads the auth database
 * can mint tokens until the next rotation; encrypt them with a key held in a secret store.
 */
export class SigningKeys {
  private readonly keys: Collection<SigningKeyDoc>;
  private loaded: LoadedKey[] = [];
  private loadedAt = 0;

  constructor(
    db: Db,
    private readonly options: SigningKeyOptions,
  ) {
    this.keys = db.collection<SigningKeyDoc>('signing_keys');
  }

  /** Loads the key set, creating the first key on a fresh database. */
  async start(): Promise<void> {
    await this.reload();
    if (!this.signer()) await this.rotate();
  }

  /** The key that signs now, rotating first when the current one has reached its end. */
  async current(): Promise<LoadedKey> {
    if (Date.now() - this.loadedAt > RELOAD_MS) await this.reload();
    const signer = this.signer();
    if (signer) return signer;
    await this.rotate();
    return this.signer() as LoadedKey;
  }

  /** Makes a new key the signer and retires the others, which stay published until their tokens expire. */
  async rotate(): Promise<string> {
    const now = new Date();
    const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
    const kid = randomUUID();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALGORITHM, use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALGORITHM };
    const signsUntil = new Date(now.getTime() + this.options.rotationSeconds * 1000);
    await this.keys.insertOne({
      _id: kid,
      alg: SIGNING_ALGORITHM,
      privateJwk,
      publicJwk,
      createdAt: now,
      signsUntil,
      publishedUntil: new Date(signsUntil.getTime() + this.tokenLifetimeMs()),
    });
    await this.keys.updateMany(
      { _id: { $ne: kid }, signsUntil: { $gt: now } },
      { $set: { signsUntil: now, publishedUntil: new Date(now.getTime() + this.tokenLifetimeMs()) } },
    );
    this.options.logger.info({ kid }, 'signing key rotated');
    await this.reload();
    return kid;
  }

  /** The public keys verifiers may trust now. */
  async jwks(): Promise<{ keys: JWK[] }> {
    if (Date.now() - this.loadedAt > RELOAD_MS) await this.reload();
    const now = Date.now();
    return {
      keys: this.loaded.filter((k) => k.doc.publishedUntil.getTime() > now).map((k) => k.doc.publicJwk),
    };
  }

  /** A key resolver for verifying tokens in this service, from the same published set. */
  resolver(): JWTVerifyGetKey {
    return async (header) => {
      const find = () =>
        this.loaded.find((k) => k.doc._id === header.kid && k.doc.publishedUntil.getTime() > Date.now());
      let key = find();
      if (!key) {
        await this.reload();
        key = find();
      }
      if (!key) throw new errors.JWKSNoMatchingKey();
      return importJWK(key.doc.publicJwk, SIGNING_ALGORITHM);
    };
  }

  private signer(): LoadedKey | undefined {
    const now = Date.now();
    return this.loaded
      .filter((k) => k.doc.signsUntil.getTime() > now)
      .sort((a, b) => b.doc.createdAt.getTime() - a.doc.createdAt.getTime())[0];
  }

  private tokenLifetimeMs(): number {
    return this.options.accessTokenTtlSeconds * 1000 + PUBLISH_SLACK_MS;
  }

  private async reload(): Promise<void> {
    const docs = await this.keys.find({ publishedUntil: { $gt: new Date() } }).toArray();
    const known = new Map(this.loaded.map((k) => [k.doc._id, k.privateKey]));
    this.loaded = await Promise.all(
      docs.map(async (doc) => ({
        doc,
        privateKey: known.get(doc._id) ?? (await importJWK(doc.privateJwk, SIGNING_ALGORITHM)),
      })),
    );
    this.loadedAt = Date.now();
  }
}

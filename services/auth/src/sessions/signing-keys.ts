import { randomUUID } from 'node:crypto';
import type { Logger } from '@parley/service-kit';
import {
  type CryptoKey,
  type JWK,
  type JWTVerifyGetKey,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
} from 'jose';
import type { Collection, Db } from 'mongodb';
import { type SealedJwk, type KeyEncryption } from './key-encryption';

/** The one algorithm this service signs with; verifiers accept only asymmetric ones. */
export const SIGNING_ALGORITHM = 'EdDSA';

export interface SigningKeyDoc {
  /** The `kid` of tokens it signs. */
  _id: string;
  alg: typeof SIGNING_ALGORITHM;
  /** The private key, encrypted with the key-encryption key (see key-encryption.ts). */
  sealedPrivateJwk?: SealedJwk;
  /** A private key stored before keys were encrypted; sealed and removed at the next load. */
  privateJwk?: JWK;
  publicJwk: JWK;
  createdAt: Date;
  /** It signs from then on; a successor is published before this, so verifiers know it first. */
  signsFrom: Date;
  /** After this it signs nothing new. */
  signsUntil: Date;
  /** The JWKS lists it until then: until the last token it signed has expired. */
  publishedUntil: Date;
}

export interface SigningKeyOptions {
  /** How long a key signs before the next one takes over, in seconds. */
  rotationSeconds: number;
  /**
   * How long before it takes over a successor is published, in seconds. Longer than verifiers
   * cache the key set, so every one of them holds the new key before the first token it signs.
   */
  prepublishSeconds: number;
  /** Lifetime of access tokens, in seconds: a retired key stays published this long (plus slack). */
  accessTokenTtlSeconds: number;
  /** Encrypts private keys before they reach the database. */
  encryption: KeyEncryption;
  logger: Logger;
}

/** Kept in memory this long before the key set is read again, so replicas see each other's rotations. */
const RELOAD_MS = 30_000;
/** A copy in memory younger than this answers a verifier's question without a read. */
const ASKED_RELOAD_MS = 1_000;
/** Beyond a token's lifetime, so that clock skew between services never strands a valid token. */
const PUBLISH_SLACK_MS = 60_000;

interface LoadedKey {
  doc: SigningKeyDoc;
  privateKey: CryptoKey | Uint8Array;
}

/**
 * The keys access tokens are signed with, persisted in MongoDB so that restarts keep them.
 * Scheduled rotation publishes the next key `prepublishSeconds` before it starts signing, and keeps
 * a retired key published until every token it signed has expired, so nobody is refused or logged
 * out by it. `rotateNow` (for a suspected leak) switches at once; verifiers read the set again when
 * a token names a key they lack, and the set they are given is at most a second old.
 * Private keys are stored encrypted with a key-encryption key that lives outside the database (an
 * environment secret), so a copy of the auth database alone cannot mint tokens.
 */
export class SigningKeys {
  private readonly keys: Collection<SigningKeyDoc>;
  private loaded: LoadedKey[] = [];
  private loadedAt = 0;
  private reloading: Promise<void> | undefined;

  constructor(
    db: Db,
    private readonly options: SigningKeyOptions,
  ) {
    this.keys = db.collection<SigningKeyDoc>('signing_keys');
  }

  /** Loads the key set, creating the first key on a fresh database and publishing its successor. */
  async start(): Promise<void> {
    await this.current();
  }

  /** The key that signs now; creates one if none does, and a successor when it is time. */
  async current(): Promise<LoadedKey> {
    if (Date.now() - this.loadedAt > RELOAD_MS) await this.reload();
    let signer = this.signer();
    if (!signer) {
      await this.rotateNow();
      signer = this.signer() as LoadedKey;
    }
    const now = Date.now();
    const endsSoon = signer.doc.signsUntil.getTime() - now < this.options.prepublishSeconds * 1000;
    const hasSuccessor = this.loaded.some(
      (k) => k.doc.signsFrom.getTime() >= signer.doc.signsUntil.getTime(),
    );
    if (endsSoon && !hasSuccessor) await this.create(signer.doc.signsUntil);
    return signer;
  }

  /** Makes a new key the signer at once and retires the others; they stay published until their tokens expire. */
  async rotateNow(): Promise<string> {
    const now = new Date();
    const kid = await this.create(now);
    await this.keys.updateMany(
      { _id: { $ne: kid }, signsUntil: { $gt: now } },
      { $set: { signsUntil: now, publishedUntil: new Date(now.getTime() + this.tokenLifetimeMs()) } },
    );
    this.options.logger.info({ kid }, 'signing key rotated at once');
    await this.reload();
    return kid;
  }

  /**
   * The public keys verifiers may trust now, successors included. Read from the database when the
   * copy in memory is more than a second old: verifiers ask when a token names a key they lack,
   * and another replica may have made it by an immediate rotation.
   */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.reloadIfOlder(ASKED_RELOAD_MS);
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
        // At most once a second, however many tokens with unknown keys arrive.
        await this.reloadIfOlder(ASKED_RELOAD_MS);
        key = find();
      }
      if (!key) throw new errors.JWKSNoMatchingKey();
      return importJWK(key.doc.publicJwk, SIGNING_ALGORITHM);
    };
  }

  /** Creates and publishes a key that signs from `signsFrom` for one rotation period. */
  private async create(signsFrom: Date): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
    const kid = randomUUID();
    const signsUntil = new Date(signsFrom.getTime() + this.options.rotationSeconds * 1000);
    await this.keys.insertOne({
      _id: kid,
      alg: SIGNING_ALGORITHM,
      sealedPrivateJwk: this.options.encryption.seal(
        { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALGORITHM },
        kid,
      ),
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALGORITHM, use: 'sig' },
      createdAt: new Date(),
      signsFrom,
      signsUntil,
      publishedUntil: new Date(signsUntil.getTime() + this.tokenLifetimeMs()),
    });
    this.options.logger.info({ kid, signsFrom }, 'signing key published');
    await this.reload();
    return kid;
  }

  /** The newest key whose signing period holds now. */
  private signer(): LoadedKey | undefined {
    const now = Date.now();
    return this.loaded
      .filter((k) => startOf(k.doc) <= now && k.doc.signsUntil.getTime() > now)
      .sort((a, b) => startOf(b.doc) - startOf(a.doc))[0];
  }

  private tokenLifetimeMs(): number {
    return this.options.accessTokenTtlSeconds * 1000 + PUBLISH_SLACK_MS;
  }

  private reloadIfOlder(ms: number): Promise<void> {
    if (Date.now() - this.loadedAt <= ms) return Promise.resolve();
    this.reloading ??= this.reload().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async reload(): Promise<void> {
    const docs = await this.keys.find({ publishedUntil: { $gt: new Date() } }).toArray();
    const known = new Map(this.loaded.map((k) => [k.doc._id, k.privateKey]));
    this.loaded = await Promise.all(
      docs.map(async (doc) => ({
        doc,
        privateKey: known.get(doc._id) ?? (await importJWK(await this.privateJwkOf(doc), SIGNING_ALGORITHM)),
      })),
    );
    this.loadedAt = Date.now();
  }

  /**
   * Opens a stored private key. A key stored in the clear (before encryption) or sealed with a
   * retired key-encryption key is sealed again with the current one on the way.
   */
  private async privateJwkOf(doc: SigningKeyDoc): Promise<JWK> {
    const { encryption } = this.options;
    if (doc.sealedPrivateJwk) {
      const jwk = encryption.open(doc.sealedPrivateJwk, doc._id);
      if (!encryption.isCurrent(doc.sealedPrivateJwk)) await this.reseal(doc._id, jwk);
      return jwk;
    }
    if (!doc.privateJwk) throw new Error(`signing key ${doc._id} has no private key`);
    await this.reseal(doc._id, doc.privateJwk);
    return doc.privateJwk;
  }

  private async reseal(kid: string, jwk: JWK): Promise<void> {
    await this.keys.updateOne(
      { _id: kid },
      { $set: { sealedPrivateJwk: this.options.encryption.seal(jwk, kid) }, $unset: { privateJwk: '' } },
    );
    this.options.logger.info({ kid }, 'signing key sealed with the current key-encryption key');
  }
}

/** When a key starts signing; keys stored before successors were published lack `signsFrom`. */
function startOf(doc: SigningKeyDoc): number {
  return (doc.signsFrom ?? doc.createdAt).getTime();
}

import type { Collection, Db } from 'mongodb';

/** What a login at the provider must come back with; kept here, never in the browser. */
export interface OidcFlowDoc {
  /** The `state` sent to the provider. */
  _id: string;
  nonce: string;
  codeVerifier: string;
  /** SHA-256 of the secret in the cookie of the browser that started the login. */
  browserBinding: string;
  deviceName: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** A started login is good for ten minutes. */
const FLOW_TTL_MS = 10 * 60 * 1000;

/** Started third-party logins: their state, nonce and PKCE verifier, each usable once. */
export class OidcFlows {
  private readonly flows: Collection<OidcFlowDoc>;

  constructor(db: Db) {
    this.flows = db.collection<OidcFlowDoc>('oidc_flows');
  }

  async ensureIndexes(): Promise<void> {
    await this.flows.createIndex({ expiresAt: 1 }, { name: 'expiry' });
  }

  async save(flow: Omit<OidcFlowDoc, 'createdAt' | 'expiresAt'>): Promise<void> {
    const now = new Date();
    await this.flows.insertOne({ ...flow, createdAt: now, expiresAt: new Date(now.getTime() + FLOW_TTL_MS) });
    // Expired flows are never usable; clearing them here keeps the collection small.
    await this.flows.deleteMany({ expiresAt: { $lte: now } });
  }

  /**
   * Takes the flow a state belongs to out of the store, if the browser that started it presents
   * it: a second callback finds nothing, and a callback from another browser leaves it alone.
   */
  async take(state: string, browserBinding: string): Promise<OidcFlowDoc | undefined> {
    const flow = await this.flows.findOneAndDelete({ _id: state, browserBinding });
    if (!flow || flow.expiresAt <= new Date()) return undefined;
    return flow;
  }
}

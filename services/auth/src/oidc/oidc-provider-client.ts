import { DependencyError } from '@parley/service-kit';
import * as openid from 'openid-client';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: string;
  redirectUri: string;
  /** Allows an http:// issuer, for a provider on loopback in tests. */
  allowInsecure: boolean;
}

/**
 * The provider's configuration, discovered from its issuer URL on first use and kept. A failed
 * discovery is tried again on the next login, so auth starts even while the provider is down.
 */
export class OidcProviderClient {
  private configuration: Promise<openid.Configuration> | undefined;

  constructor(readonly settings: OidcSettings) {}

  config(): Promise<openid.Configuration> {
    this.configuration ??= this.discover().catch((err: unknown) => {
      this.configuration = undefined;
      throw new DependencyError('oidc-provider', 'the OpenID provider could not be discovered', {
        cause: err,
      });
    });
    return this.configuration;
  }

  private discover(): Promise<openid.Configuration> {
    const { issuer, clientId, clientSecret, allowInsecure } = this.settings;
    return openid.discovery(
      new URL(issuer),
      clientId,
      clientSecret,
      undefined,
      allowInsecure ? { execute: [openid.allowInsecureRequests] } : undefined,
    );
  }
}

import { baseConfigSchema, mongoUrlSchema } from '@parley/service-kit';
import { z } from 'zod';

const seconds = z.coerce.number().int().positive();

/** 32 random bytes in base64, as `openssl rand -base64 32` prints them. */
const keyEncryptionKey = z
  .string()
  .trim()
  .refine(
    (value) =>
      Buffer.from(value, 'base64').length === 32 && Buffer.from(value, 'base64').toString('base64') === value,
    {
      message: 'must be 32 bytes in base64 (openssl rand -base64 32)',
    },
  );

export const authConfigSchema = baseConfigSchema.extend({
  /** MongoDB deployment; this service keeps its data in the `parley_auth` database. */
  MONGODB_URL: mongoUrlSchema,
  /** bcrypt cost factor for password hashes. Tests lower it; production keeps 12 or more. */
  BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(12),
  /** Lifetime of an access token, in seconds (15 minutes). */
  ACCESS_TOKEN_TTL: seconds.default(15 * 60),
  /** Lifetime of a session without use, in seconds (30 days); each refresh extends it. */
  REFRESH_TOKEN_TTL: seconds.default(30 * 24 * 60 * 60),
  /** How long a signing key signs before a new one replaces it, in seconds (30 days). */
  SIGNING_KEY_ROTATION: seconds.default(30 * 24 * 60 * 60),
  /**
   * How long before it starts signing the next key is published, in seconds (1 hour). Must exceed
   * how long verifiers cache the key set (10 minutes in `@parley/identity`).
   */
  SIGNING_KEY_PREPUBLISH: seconds.default(60 * 60),
  /**
   * Encrypts the token signing keys stored in MongoDB. Keep it in a secret store, apart from the
   * database: whoever holds both can mint access tokens.
   */
  SIGNING_KEY_ENCRYPTION_KEY: keyEncryptionKey,
  /** While replacing that key: the former ones, comma-separated; keys they sealed are sealed again. */
  SIGNING_KEY_ENCRYPTION_PREVIOUS_KEYS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((key) => key.trim())
        .filter(Boolean),
    )
    .pipe(z.array(keyEncryptionKey)),
  /** Lifetime of an email verification link, in seconds (24 hours). */
  EMAIL_VERIFICATION_TTL: seconds.default(24 * 60 * 60),
  /** Lifetime of a password reset link, in seconds (1 hour). */
  PASSWORD_RESET_TTL: seconds.default(60 * 60),
  /** Where users reach the platform; links in emails and the OIDC redirect URI start with it. */
  PUBLIC_URL: z.url().default('http://127.0.0.1:4400'),
  /** OpenID Connect provider for third-party login; without it the OIDC routes answer 404. */
  OIDC_ISSUER: z.url().optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /**
   * Where the provider sends the browser back: by default the web client's `/oidc/callback` page,
   * which hands the query to `GET /api/v1/sessions/oidc/callback`. Other clients may point it at
   * that API route directly.
   */
  OIDC_REDIRECT_URI: z.url().optional(),
  /** Scopes asked of the provider. */
  OIDC_SCOPES: z.string().default('openid email profile'),
  /** Allow an http:// issuer (a provider on loopback in tests); never in production. */
  OIDC_ALLOW_INSECURE: z.enum(['true', 'false']).default('false'),
});

export type AuthConfig = z.infer<typeof authConfigSchema>;

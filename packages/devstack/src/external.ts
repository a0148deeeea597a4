/**
 * Production servers that replace the embedded parts. Each variable, when set, makes the launcher
 * skip starting that part and hand the URL to the services instead.
 */
export interface ExternalParts {
  /** redis://[:password@]host:port, used by the Dapr components and the gateway. */
  redisUrl?: string;
  /** mongodb:// or mongodb+srv:// URL of a MongoDB deployment. */
  mongodbUrl?: string;
  /** host:port of a Temporal frontend, with `TEMPORAL_NAMESPACE` and optional `TEMPORAL_UI_URL`. */
  temporalAddress?: string;
  temporalNamespace?: string;
  temporalUiUrl?: string;
  /** An Azure Storage connection string. */
  azureStorageConnectionString?: string;
  /** smtp:// or smtps:// URL with credentials, and optional `MAIL_WEB_URL` of an inbox to show. */
  smtpUrl?: string;
  mailWebUrl?: string;
  /** Typesense node URL and API key; without them search uses its embedded engine. */
  typesenseUrl?: string;
  typesenseApiKey?: string;
  /** Twilio credentials; without them SMS is disabled. */
  twilioAccountSid?: string;
  twilioAuthToken?: string;
  twilioFrom?: string;
}

export function externalPartsFromEnv(env: NodeJS.ProcessEnv = process.env): ExternalParts {
  const read = (name: string) => (env[name] === '' ? undefined : env[name]);
  return {
    redisUrl: read('REDIS_URL'),
    mongodbUrl: read('MONGODB_URL'),
    temporalAddress: read('TEMPORAL_ADDRESS'),
    temporalNamespace: read('TEMPORAL_NAMESPACE'),
    temporalUiUrl: read('TEMPORAL_UI_URL'),
    azureStorageConnectionString: read('AZURE_STORAGE_CONNECTION_STRING'),
    smtpUrl: read('SMTP_URL'),
    mailWebUrl: read('MAIL_WEB_URL'),
    typesenseUrl: read('TYPESENSE_URL'),
    typesenseApiKey: read('TYPESENSE_API_KEY'),
    twilioAccountSid: read('TWILIO_ACCOUNT_SID'),
    twilioAuthToken: read('TWILIO_AUTH_TOKEN'),
    twilioFrom: read('TWILIO_FROM'),
  };
}

/** Azurite's documented development account; not a secret. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function azuriteConnectionString(port: number): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_KEY}`,
    `BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`,
  ].join(';');
}

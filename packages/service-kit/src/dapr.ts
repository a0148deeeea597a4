import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import type { Logger } from 'pino';
import { AppError, DependencyError } from './errors';
import { requirePlainPath } from './paths';

export interface SidecarOptions {
  httpPort: number;
  apiToken: string;
  pubsubName: string;
  stateStoreName: string;
  logger: Logger;
}

/** How long a bulk publish may take before it counts as failed. */
const BULK_PUBLISH_TIMEOUT_MS = 10_000;

/** A response from another service, reached through service invocation. */
export interface InvokeResult<T = unknown> {
  status: number;
  contentType: string | null;
  body: T;
}

/**
 * The app's view of its own Dapr sidecar: publish, state and service invocation. Every call
 * carries the Dapr API token; the sidecar refuses calls without it.
 */
export class Sidecar {
  readonly client: DaprClient;
  private readonly base: string;

  constructor(private readonly options: SidecarOptions) {
    this.base = `http://127.0.0.1:${options.httpPort}`;
    this.client = new DaprClient({
      daprHost: '127.0.0.1',
      daprPort: String(options.httpPort),
      communicationProtocol: CommunicationProtocolEnum.HTTP,
      daprApiToken: options.apiToken,
      logger: { level: LogLevel.Error },
    });
  }

  /**
   * Publishes an event. `eventId` becomes the CloudEvent id, which consumers use to ignore a
   * redelivery of an event they already applied.
   */
  async publish(topic: string, data: object, eventId?: string): Promise<void> {
    const metadata = eventId ? { 'cloudevent.id': eventId } : undefined;
    const result = await this.client.pubsub.publish(
      this.options.pubsubName,
      topic,
      data,
      metadata ? { metadata } : {},
    );
    if (result.error) {
      throw new DependencyError('dapr-pubsub', `publishing to ${topic} failed`, { cause: result.error });
    }
  }

  /**
   * Publishes several events to one topic in one call (the sidecar's bulk publish), each under its
   * own CloudEvent id, as `publish` would publish each (one id may come twice). Answers the
   * positions of the events the broker refused; a call the sidecar refuses as a whole throws.
   */
  async publishBulk(topic: string, events: { data: object; eventId: string }[]): Promise<Set<number>> {
    const pubsub = encodeURIComponent(this.options.pubsubName);
    const url = `${this.base}/v1.0-alpha1/publish/bulk/${pubsub}/${encodeURIComponent(topic)}`;
    const entries = events.map(({ data, eventId }, index) => ({
      entryId: String(index),
      event: data,
      contentType: 'application/json',
      metadata: { 'cloudevent.id': eventId },
    }));
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'dapr-api-token': this.options.apiToken, 'content-type': 'application/json' },
        body: JSON.stringify(entries),
        // A sidecar that never answers must not hold a batch's place for good.
        signal: AbortSignal.timeout(BULK_PUBLISH_TIMEOUT_MS),
      });
    } catch (err) {
      throw new DependencyError('dapr-pubsub', `publishing to ${topic} failed`, { cause: err });
    }
    const text = await response.text();
    if (response.ok) return new Set();
    let failed: unknown;
    try {
      failed = (JSON.parse(text) as { failedEntries?: unknown }).failedEntries;
    } catch {
      failed = undefined;
    }
    if (!Array.isArray(failed) || failed.length === 0) {
      throw new DependencyError('dapr-pubsub', `publishing to ${topic} failed: ${response.status} ${text}`);
    }
    return new Set(failed.map((entry) => Number((entry as { entryId?: unknown }).entryId)));
  }

  /** Saves a value; with `ttlSeconds` the store forgets it after that long. */
  async saveState(key: string, value: unknown, ttlSeconds?: number): Promise<void> {
    const metadata = ttlSeconds ? { ttlInSeconds: String(ttlSeconds) } : undefined;
    const result = await this.client.state.save(this.options.stateStoreName, [{ key, value, metadata }]);
    if (result.error)
      throw new DependencyError('dapr-state', `saving ${key} failed`, { cause: result.error });
  }

  async getState<T>(key: string): Promise<T | undefined> {
    const value = (await this.client.state.get(this.options.stateStoreName, key)) as T | '' | undefined;
    return value === '' || value === undefined ? undefined : value;
  }

  /**
   * Calls another service's method through both sidecars. The status and problem bodies of the
   * callee are kept, so a gateway can pass them on.
   */
  async invoke<T = unknown>(
    appId: string,
    method: string,
    init: { method?: string; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<InvokeResult<T>> {
    const headers: Record<string, string> = { 'dapr-api-token': this.options.apiToken, ...init.headers };
    let body: string | undefined;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] = 'application/json';
    }
    const url = this.methodUrl(appId, method);
    let response: Response;
    try {
      response = await fetch(url, {
        method: init.method ?? 'GET',
        headers,
        body,
        signal: init.signal ?? null,
      });
    } catch (err) {
      throw new DependencyError('dapr-sidecar', `invoking ${appId} failed`, { cause: err });
    }
    const contentType = response.headers.get('content-type');
    const text = await response.text();
    const isJson = contentType !== null && /json/.test(contentType);
    return { status: response.status, contentType, body: (isJson && text ? JSON.parse(text) : text) as T };
  }

  /**
   * Sends a request to another service through both sidecars and hands back the raw response,
   * body unread: for a gateway that streams requests and answers through.
   */
  async forward(appId: string, pathAndQuery: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('dapr-api-token', this.options.apiToken);
    const url = this.methodUrl(appId, pathAndQuery);
    try {
      return await fetch(url, { ...init, headers });
    } catch (err) {
      throw new DependencyError('dapr-sidecar', `forwarding to ${appId} failed`, { cause: err });
    }
  }

  /** Like `invoke`, but a non-2xx answer becomes an error carrying the callee's problem code. */
  async invokeOk<T>(appId: string, method: string, init: Parameters<Sidecar['invoke']>[2] = {}): Promise<T> {
    const result = await this.invoke<T>(appId, method, init);
    if (result.status >= 200 && result.status < 300) return result.body;
    if (isSidecarError(result.body)) {
      throw new DependencyError(appId, `The ${appId} service cannot be reached right now.`);
    }
    const problem = result.body as { code?: unknown; detail?: unknown } | string;
    const code =
      typeof problem === 'object' && typeof problem.code === 'string' ? problem.code : 'UPSTREAM_FAILED';
    // A refusal keeps the callee's own words for the caller; a fault stays vague.
    const detail =
      result.status < 500 && typeof problem === 'object' && typeof problem.detail === 'string'
        ? problem.detail
        : `${appId} answered ${result.status}`;
    throw new AppError(code, result.status >= 500 ? 502 : result.status, detail, { upstream: appId });
  }

  /**
   * The sidecar's address of an app's method. Only a plain path is accepted: a dot segment (or an
   * encoded one) would be resolved by the URL parser, and could climb out of the app's methods
   * into the sidecar's own API, which this sidecar's token opens.
   */
  private methodUrl(appId: string, method: string): string {
    requirePlainPath(method);
    return `${this.base}/v1.0/invoke/${encodeURIComponent(appId)}/method/${method.replace(/^\//, '')}`;
  }

  /** The sidecar's own metadata: components loaded and subscriptions registered. */
  async metadata(): Promise<SidecarMetadata> {
    const response = await fetch(`${this.base}/v1.0/metadata`, {
      headers: { 'dapr-api-token': this.options.apiToken },
    });
    if (!response.ok)
      throw new DependencyError('dapr-sidecar', `sidecar metadata answered ${response.status}`);
    return (await response.json()) as SidecarMetadata;
  }

  /** Ready when the sidecar answers healthy and has registered every topic the app expects. */
  async checkReady(expectedTopics: readonly string[]): Promise<void> {
    const health = await fetch(`${this.base}/v1.0/healthz`).catch((err: unknown) => {
      throw new DependencyError('dapr-sidecar', 'sidecar is not reachable', { cause: err });
    });
    if (health.status !== 204 && health.status !== 200) {
      throw new DependencyError('dapr-sidecar', `sidecar health answered ${health.status}`);
    }
    if (expectedTopics.length === 0) return;
    const { subscriptions = [] } = await this.metadata();
    const registered = new Set(subscriptions.map((s) => s.topic));
    const missing = expectedTopics.filter((topic) => !registered.has(topic));
    if (missing.length > 0) {
      throw new DependencyError('dapr-sidecar', `subscriptions not registered yet: ${missing.join(', ')}`);
    }
  }

  async close(): Promise<void> {
    await this.client.stop().catch(() => undefined);
  }
}

export interface SidecarMetadata {
  id: string;
  components?: { name: string; type: string; version: string }[];
  subscriptions?: { pubsubname: string; topic: string; deadLetterTopic?: string }[];
}

/**
 * Whether an answer's body was written by a sidecar rather than the app behind it: JSON with a
 * Dapr error code (`ERR_DIRECT_INVOKE` when the app is down, for one). Apps answer problem+json.
 */
export function isSidecarError(body: unknown): boolean {
  const code =
    typeof body === 'object' && body !== null ? (body as { errorCode?: unknown }).errorCode : undefined;
  return typeof code === 'string' && code.startsWith('ERR_');
}

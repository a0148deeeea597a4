/** Dapr app ids of the back-end services, in the order the launcher lists them. */
export const BACKEND_SERVICES = ['auth', 'chat', 'notification', 'media', 'search', 'analytics'] as const;

export type BackendService = (typeof BACKEND_SERVICES)[number];

/** Every app with a sidecar: the gateway, the back-end services and the Temporal worker. */
export const DAPR_APPS = ['gateway', ...BACKEND_SERVICES, 'worker'] as const;

export type DaprApp = (typeof DAPR_APPS)[number];

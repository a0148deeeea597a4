import type { Request } from 'express';

/**
 * The Content-Security-Policy of the web client: scripts, styles and fonts only from the gateway
 * itself (no inline script, no eval), connections to the gateway (REST and its WebSocket) and to
 * blob storage (uploads, media links), images and media from the gateway, blob:/data: URLs and
 * blob storage. No plugins, no framing, no <base>.
 */
export function contentSecurityPolicy(req: Request, mediaOrigin: string | null): string {
  const host = req.get('host');
  const sockets = host && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? [`ws://${host}`, `wss://${host}`] : [];
  const media = mediaOrigin ? [mediaOrigin] : [];
  const directives: [string, string[]][] = [
    ['default-src', ["'self'"]],
    ['script-src', ["'self'"]],
    ['style-src', ["'self'"]],
    ['img-src', ["'self'", 'blob:', 'data:', ...media]],
    ['media-src', ["'self'", 'blob:', ...media]],
    ['connect-src', ["'self'", ...sockets, ...media]],
    ['font-src', ["'self'"]],
    ['worker-src', ["'self'"]],
    ['manifest-src', ["'self'"]],
    ['object-src', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'self'"]],
    ['frame-ancestors', ["'none'"]],
  ];
  return directives.map(([name, values]) => `${name} ${values.join(' ')}`).join('; ');
}

/** Headers every web client response carries. */
export function securityHeaders(req: Request, mediaOrigin: string | null): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(req, mediaOrigin),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
  };
}

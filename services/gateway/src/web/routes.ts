import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Response, Router } from 'express';
import { securityHeaders } from './security-headers';

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Parley</title></head>
<body>
  <h1>Parley</h1>
  <p>The web client has not been built in this checkout. The API is at <a href="/api/reference">/api/reference</a>.</p>
</body>
</html>
`;

export interface WebOptions {
  /** Folder of the built client (`web/dist`); the placeholder page is served when it is missing. */
  webDir: string | undefined;
  /** Origin of blob storage, where media links point (see `blobOrigin`). */
  mediaOrigin: string | null;
}

/**
 * Paths the client never routes: a miss under them is a 404, not the app's page (the gateway's
 * metrics, for one, are not public, and must not seem to be there).
 */
const NOT_CLIENT_ROUTES = /^\/(api|socket\.io|assets|icons|dapr|internal|metrics|livez|readyz)(\/|$)/;

const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;

/**
 * Serves the built single-page web client. Files under `assets/` carry a content hash in their
 * names, so they are cached for a year and never revalidated; everything else (index.html, the
 * service worker, the manifest, icons) is revalidated on each use, so a new build shows at once.
 * Any other GET that asks for HTML is a client-side route and gets index.html.
 */
export function webRoutes(options: WebOptions): Router {
  const router = Router();
  const { webDir, mediaOrigin } = options;
  const index = webDir ? join(webDir, 'index.html') : undefined;
  router.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') res.set(securityHeaders(req, mediaOrigin));
    next();
  });
  if (webDir && index && existsSync(index)) {
    const sendIndex = (res: Response) => {
      res.set('cache-control', 'no-cache');
      res.sendFile(index);
    };
    router.use(
      '/assets',
      express.static(join(webDir, 'assets'), {
        index: false,
        immutable: true,
        maxAge: ONE_YEAR_SECONDS * 1000,
      }),
    );
    router.use(
      express.static(webDir, {
        index: false,
        setHeaders: (res) => res.setHeader('cache-control', 'no-cache'),
      }),
    );
    router.get('/{*path}', (req, res, next) => {
      if (NOT_CLIENT_ROUTES.test(req.path) || !req.accepts('html')) {
        next();
        return;
      }
      sendIndex(res);
    });
    return router;
  }
  router.get('/', (_req, res) => {
    res.type('html').send(NOT_BUILT);
  });
  return router;
}

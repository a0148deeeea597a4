import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Parley</title></head>
<body>
  <h1>Parley</h1>
  <p>The web client has not been built in this checkout. The API is at <a href="/api/reference">/api/reference</a>.</p>
</body>
</html>
`;

/** Serves the built single-page web client, falling back to index.html for client-side routes. */
export function webRoutes(webDir: string | undefined): Router {
  const router = Router();
  const index = webDir ? join(webDir, 'index.html') : undefined;
  if (webDir && index && existsSync(index)) {
    router.use(express.static(webDir, { index: false, maxAge: '1h' }));
    router.get('/{*path}', (_req, res) => res.sendFile(index));
    return router;
  }
  router.get('/', (_req, res) => {
    res.type('html').send(NOT_BUILT);
  });
  return router;
}

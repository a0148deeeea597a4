import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';
import { absolutePath } from 'swagger-ui-dist';
import { parse as parseYaml } from 'yaml';

const SPEC_FILE = join(__dirname, '..', '..', 'openapi.yaml');

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Parley API reference</title>
  <link rel="stylesheet" href="/api/reference/assets/swagger-ui.css">
</head>
<body>
  <div id="reference"></div>
  <script src="/api/reference/assets/swagger-ui-bundle.js"></script>
  <script src="/api/reference/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#reference', deepLinking: true });\n`;

/** The OpenAPI document of the public API, as YAML and JSON, and a browsable reference page. */
export function referenceRoutes(): Router {
  const yamlText = readFileSync(SPEC_FILE, 'utf8');
  const json = JSON.stringify(parseYaml(yamlText));
  const router = Router();
  router.get('/openapi.yaml', (_req, res) => {
    res.type('application/yaml').send(yamlText);
  });
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(json);
  });
  router.get('/reference', (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get('/reference/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  router.use('/reference/assets', express.static(absolutePath(), { index: false, maxAge: '1h' }));
  return router;
}

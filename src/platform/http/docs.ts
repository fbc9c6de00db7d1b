import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Contract } from './contract.js';

const require = createRequire(import.meta.url);

/** Files of swagger-ui-dist we serve ourselves, so /docs works without network access. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Gantry API reference</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
  <style>body { margin: 0; } .topbar { display: none; }</style>
</head>
<body>
  <div id="reference"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

// Kept out of the page itself so a strict Content-Security-Policy (no inline scripts) can apply.
const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#reference',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
  validatorUrl: null,
  persistAuthorization: true
});
`;

const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'";

/**
 * `/openapi.json` (the contract with the server's extensions, which carry a tag of their own) and the
 * interactive reference at `/docs`, all assets served locally.
 */
export function installDocs(app: FastifyInstance, served: Contract): void {
  const contract = Buffer.from(JSON.stringify(served.document));
  // Resolve the folder only: requiring the package would load the whole browser bundle into the server.
  const assetDir = dirname(require.resolve('swagger-ui-dist/package.json'));
  const assets = new Map(Object.keys(ASSETS).map((name) => [name, readFileSync(join(assetDir, name))]));

  app.get('/openapi.json', (_request, reply) => {
    reply.type('application/json; charset=utf-8').header('cache-control', 'no-cache').send(contract);
  });
  app.get('/docs', (_request, reply) => {
    reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).send(PAGE);
  });
  app.get('/docs/init.js', (_request, reply) => {
    reply.type('application/javascript; charset=utf-8').send(INIT);
  });
  app.get<{ Params: { name: string } }>('/docs/assets/:name', (request, reply) => {
    const body = assets.get(request.params.name);
    if (!body) return reply.callNotFound();
    return reply.type(ASSETS[request.params.name]).header('cache-control', 'public, max-age=86400').send(body);
  });
}

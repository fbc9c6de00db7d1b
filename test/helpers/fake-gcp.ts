import { createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BigQueryOptions, GcpEndpoints } from '../../src/modules/credentials/gcp-bigquery.js';

/**
 * A fake Google for tests: an OAuth token endpoint that really verifies the RS256 assertion against the
 * test's public key, and the BigQuery v2 list calls, paginated with small pages, answering only to a
 * token it issued.
 */

export interface FakeTable {
  id: string;
}
export interface FakeDataset {
  id: string;
  tables: FakeTable[];
  /** Listing its tables answers 403 accessDenied. */
  denied?: boolean;
}
export interface FakeProject {
  id: string;
  datasets: FakeDataset[];
  /** Listing its datasets answers 403 accessDenied. */
  denied?: boolean;
}

export interface FakeGcpOptions {
  clientEmail: string;
  publicKeyPem: string;
  projects: FakeProject[];
  /** Items per page of every list (default 2). */
  pageSize?: number;
  /** Holds every BigQuery answer this long, so concurrent requests overlap (default 0). */
  delayMs?: number;
  /** Lets a test answer a request itself (errors, slowness); return false to let the fake answer. */
  intercept?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string;
}

export interface FakeGcp {
  url: string;
  endpoints: GcpEndpoints;
  requests: RecordedRequest[];
  /** Access tokens issued so far. */
  tokens: string[];
  /** Most BigQuery requests seen in flight at once. */
  maxInFlight(): number;
  close(): Promise<void>;
}

/** A billing project among others, listed unsorted; SAMPLE_OPTIONS is what listing it must give. */
export const SAMPLE_PROJECTS: FakeProject[] = [
  {
    id: 'zeta-analytics',
    datasets: [{ id: 'events', tables: [{ id: 'clicks' }] }],
  },
  {
    id: 'billing-project',
    datasets: [
      {
        id: 'billing_export',
        tables: [
          { id: 'gcp_billing_export_v1_0A1B2C' },
          { id: 'gcp_billing_export_resource_v1_0A1B2C' },
          { id: 'cloud_pricing_export' },
        ],
      },
      { id: 'archive', tables: [] },
      { id: 'audit', tables: [{ id: 'logs' }, { id: 'activity' }] },
    ],
  },
  { id: 'alpha-sandbox', datasets: [] },
];

export const SAMPLE_OPTIONS: BigQueryOptions = {
  projects: [
    { id: 'alpha-sandbox', datasets: [] },
    {
      id: 'billing-project',
      datasets: [
        { id: 'archive', tables: [] },
        { id: 'audit', tables: [{ id: 'activity' }, { id: 'logs' }] },
        {
          id: 'billing_export',
          tables: [
            { id: 'cloud_pricing_export' },
            { id: 'gcp_billing_export_resource_v1_0A1B2C' },
            { id: 'gcp_billing_export_v1_0A1B2C' },
          ],
        },
      ],
    },
    { id: 'zeta-analytics', datasets: [{ id: 'events', tables: [{ id: 'clicks' }] }] },
  ],
};

export const TOKEN_PATH = '/token';

export interface TestServiceAccount {
  clientEmail: string;
  publicKeyPem: string;
  privateKeyPem: string;
  /** The service-account JSON key as a `gcp` credential's json_key holds it. */
  jsonKey: string;
}

/** A fresh RSA key pair wrapped as a Google service-account key file; `fields` override or add fields. */
export function makeServiceAccount(fields: Record<string, unknown> = {}): TestServiceAccount {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const clientEmail = `exporter-${randomBytes(3).toString('hex')}@billing-project.iam.gserviceaccount.com`;
  const key = {
    type: 'service_account',
    project_id: 'billing-project',
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKeyPem,
    client_email: clientEmail,
    client_id: '123456789012345678901',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
    ...fields,
  };
  return { clientEmail: String(key.client_email), publicKeyPem, privateKeyPem, jsonKey: JSON.stringify(key) };
}
const SCOPE = 'https://www.googleapis.com/auth/bigquery.readonly';

export async function startFakeGcp(options: FakeGcpOptions): Promise<FakeGcp> {
  const requests: RecordedRequest[] = [];
  const tokens: string[] = [];
  const publicKey = createPublicKey(options.publicKeyPem);
  let tokenUrl = '';
  let inFlight = 0;
  let maxInFlight = 0;

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    const body = await readBody(req);
    if (options.intercept?.(req, res)) return;
    if (url.pathname === TOKEN_PATH && req.method === 'POST') {
      const problem = assertionProblem(new URLSearchParams(body), publicKey, options.clientEmail, tokenUrl);
      if (problem) return send(res, 400, { error: 'invalid_grant', error_description: problem });
      const token = `ya29.${randomBytes(24).toString('base64url')}`;
      tokens.push(token);
      return send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3599 });
    }
    if (!tokens.some((t) => req.headers.authorization === `Bearer ${t}`)) {
      return send(res, 401, googleError(401, 'Request had invalid authentication credentials.', 'authError'));
    }
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    serveBigQuery(url, options, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tokenUrl = `${base}${TOKEN_PATH}`;
  return {
    url: base,
    endpoints: { tokenUrl, bigQueryUrl: base },
    requests,
    tokens,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Why Google would refuse this assertion, or undefined when it is valid. */
function assertionProblem(
  form: URLSearchParams,
  publicKey: ReturnType<typeof createPublicKey>,
  clientEmail: string,
  tokenUrl: string,
): string | undefined {
  if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return 'Unsupported grant type.';
  const parts = (form.get('assertion') ?? '').split('.');
  if (parts.length !== 3) return 'Invalid JWT.';
  const [header, payload, signature] = parts as [string, string, string];
  const signed = verify('sha256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url'));
  if (!signed) return 'Invalid JWT Signature.';
  const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  const now = Math.floor(Date.now() / 1000);
  if (head.alg !== 'RS256') return 'Invalid JWT algorithm.';
  if (claims.iss !== clientEmail) return 'Invalid issuer.';
  if (claims.aud !== tokenUrl) return 'Invalid JWT audience.';
  if (claims.scope !== SCOPE) return 'Invalid scope.';
  if (typeof claims.iat !== 'number' || claims.iat > now + 60) return 'Invalid JWT: iat is in the future.';
  if (typeof claims.exp !== 'number' || claims.exp <= now || claims.exp - claims.iat > 3600) {
    return 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.';
  }
  return undefined;
}

function serveBigQuery(url: URL, options: FakeGcpOptions, res: ServerResponse) {
  const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [bigquery, v2, projectsWord, projectId, datasetsWord, datasetId, tablesWord, extra] = segments;
  if (bigquery !== 'bigquery' || v2 !== 'v2' || projectsWord !== 'projects' || extra !== undefined) {
    return send(res, 404, googleError(404, 'Not found', 'notFound'));
  }
  if (projectId === undefined) {
    const items = options.projects.map((p) => ({ id: p.id, projectReference: { projectId: p.id } }));
    return sendPage(res, url, options, 'projects', items);
  }
  const project = options.projects.find((p) => p.id === projectId);
  if (!project) return send(res, 404, googleError(404, `Not found: Project ${projectId}`, 'notFound'));
  if (datasetsWord === 'datasets' && datasetId === undefined) {
    if (project.denied) return send(res, 403, accessDenied(`Project ${projectId}`));
    const items = project.datasets.map((d) => ({
      id: `${projectId}:${d.id}`,
      datasetReference: { datasetId: d.id, projectId },
    }));
    return sendPage(res, url, options, 'datasets', items);
  }
  const dataset = project.datasets.find((d) => d.id === datasetId);
  if (!dataset || tablesWord !== 'tables') return send(res, 404, googleError(404, 'Not found: Dataset', 'notFound'));
  if (dataset.denied) return send(res, 403, accessDenied(`Dataset ${projectId}:${datasetId}`));
  const items = dataset.tables.map((t) => ({
    id: `${projectId}:${datasetId}.${t.id}`,
    tableReference: { projectId, datasetId, tableId: t.id },
    type: 'TABLE',
  }));
  return sendPage(res, url, options, 'tables', items);
}

/** Page tokens are plain offsets: enough to check the client follows nextPageToken. */
function sendPage(res: ServerResponse, url: URL, options: FakeGcpOptions, field: string, items: unknown[]): void {
  const size = options.pageSize ?? 2;
  const start = Number(url.searchParams.get('pageToken') ?? '0');
  const page = items.slice(start, start + size);
  const next = start + size < items.length ? { nextPageToken: String(start + size) } : {};
  send(res, 200, { kind: `bigquery#${field}List`, [field]: page, ...next });
}

export function googleError(code: number, message: string, reason: string) {
  return { error: { code, message, errors: [{ message, domain: 'global', reason }], status: 'ERROR' } };
}

function accessDenied(what: string) {
  return googleError(403, `Access Denied: ${what}: Permission denied`, 'accessDenied');
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

export { closedPort } from './upstream.js';

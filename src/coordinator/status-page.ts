// The coordinator's live status page, on its HTTP port (--http-port) beside /metrics and /healthz:
//   GET /                 the page (status-page/index.html, with its script and style sheet)
//   GET /api/config       the configuration as show-config --json gives it, polled by the page
//   GET /api/plan?space=S&q=QUERY   the regions a search contacts (search-query.ts); 400 on bad input
// The assets are read once from the package's source tree (they ship in it, and are not built).

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ClusterConfig, findSpace } from '../common/config';
import { configView, REPLICATION_NOTE } from '../cli/config-view';
import { isBadQuery, planQuery } from './search-query';

/** What the page reads of a coordinator. */
export interface StatusSource {
  readonly config: ClusterConfig;
  readonly daemonsConnected: number;
}

/** The page's files, relative to the package's root, and what each is served as. */
const ASSETS_DIR = path.join('src', 'coordinator', 'status-page');
const ASSETS: readonly { readonly url: string; readonly file: string; readonly type: string }[] = [
  { url: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { url: '/status-page/status.js', file: 'status.js', type: 'text/javascript; charset=utf-8' },
  { url: '/status-page/status.css', file: 'status.css', type: 'text/css; charset=utf-8' },
];

/** The package's root: the nearest directory above this file with the assets in it (from src/ or dist/src/). */
function assetsDir(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, ASSETS_DIR);
    if (fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find the status page's files (${ASSETS_DIR}/index.html) above ${__dirname}`);
}

/** Adds the page and its JSON endpoints to a coordinator's HTTP endpoint. */
export function statusPageRoutes(source: StatusSource): (app: FastifyInstance) => void {
  const dir = assetsDir();
  const files = ASSETS.map((a) => ({ ...a, body: fs.readFileSync(path.join(dir, a.file)) }));
  return (app) => {
    for (const f of files) app.get(f.url, async (_req, reply) => reply.header('content-type', f.type).header('cache-control', 'no-cache').send(f.body));

    app.get('/api/config', async (_req, reply) =>
      reply.header('cache-control', 'no-store').send({ ...configView(source.config), daemonsConnected: source.daemonsConnected, note: REPLICATION_NOTE }),
    );

    app.get('/api/plan', async (req, reply) => {
      const { space: name, q } = req.query as Record<string, unknown>;
      if (typeof name !== 'string' || name === '') return reply.code(400).send({ error: 'say which space: /api/plan?space=NAME&q=QUERY' });
      if (q !== undefined && typeof q !== 'string') return reply.code(400).send({ error: 'give one query: q=QUERY' });
      const space = findSpace(source.config, name);
      if (!space) return reply.code(404).send({ error: `there is no space named ${name}` });
      try {
        return reply.send({ query: q ?? '', ...planQuery(space, q ?? '') });
      } catch (e) {
        if (isBadQuery(e)) return reply.code(400).send({ error: e.message });
        throw e;
      }
    });
  };
}

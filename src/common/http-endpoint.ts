// The HTTP port a coordinator or daemon serves when asked (--http-port): Prometheus /metrics and
// /healthz, served by fastify on the server's listen host.

import Fastify, { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';

export interface Health {
  /** Serving: /healthz answers 200, else 503. */
  readonly ok: boolean;
  /** A few fields of JSON saying why, for people and probes. */
  readonly detail: Readonly<Record<string, string | number | boolean>>;
}

export interface HttpEndpointOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly registry: Registry;
  readonly health: () => Health;
}

export interface HttpEndpoint {
  readonly port: number;
  /** The fastify instance, for routes of its own (the status page). */
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/** A scrape that takes longer than this is cut off (a stuck store estimate must not hold a socket). */
const REQUEST_TIMEOUT_MS = 10_000;

export async function startHttpEndpoint(o: HttpEndpointOptions, addRoutes?: (app: FastifyInstance) => void): Promise<HttpEndpoint> {
  const app = Fastify({ logger: false, requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: REQUEST_TIMEOUT_MS });
  app.get('/metrics', async (_req, reply) => {
    const text = await o.registry.metrics();
    return reply.header('content-type', o.registry.contentType).send(text);
  });
  app.get('/healthz', async (_req, reply) => {
    const h = o.health();
    return reply.code(h.ok ? 200 : 503).send({ status: h.ok ? 'ok' : 'unavailable', ...h.detail });
  });
  addRoutes?.(app);
  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (e) {
    await app.close();
    throw new Error(`cannot serve HTTP on ${o.host}:${o.port}: ${(e as Error).message}`, { cause: e });
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : o.port;
  return { port, app, close: () => app.close() };
}

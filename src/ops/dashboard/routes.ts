/**
 * @module The admin dashboard page at /admin: static assets shipped beside this module (copied
 * into dist by the build). The page itself holds no data; everything comes from /admin/api/*
 * behind the same auth as the API.
 */
import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';
import { CarebridgeError } from '../../errors/index.js';

const ASSETS = new URL('./assets/', import.meta.url);
const TYPES: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'index.html': 'text/html; charset=utf-8',
};

async function asset(name: string): Promise<Buffer> {
  if (!Object.hasOwn(TYPES, name)) throw new CarebridgeError('CB_ERR_NOT_FOUND', `No asset ${name}`);
  return readFile(new URL(name, ASSETS));
}

/** The page and its assets are public (they carry no data); the APIs they call are not. */
export const DASHBOARD_PUBLIC_PATHS: readonly string[] = ['/admin', '/admin/assets/:file'];

export const dashboardRoutes: FastifyPluginAsync = async (app) => {
  const headers = {
    'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  app.get('/admin', async (_request, reply) => reply.headers(headers).type(TYPES['index.html']!).send(await asset('index.html')));
  // Who the dashboard is signed in as; the auth gate has already required the admin scope here.
  app.get('/admin/api/whoami', async (request) => ({
    clientId: request.principal?.clientId ?? null,
    method: request.principal?.method ?? null,
    scopes: request.principal?.scopes ?? [],
  }));
  app.get<{ Params: { file: string } }>('/admin/assets/:file', async (request, reply) =>
    reply.headers(headers).type(TYPES[request.params.file] ?? 'application/octet-stream').send(await asset(request.params.file)),
  );
};

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, unredactedSibling } from './index.js';

function capture(): { lines: Array<Record<string, unknown>>; stream: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, stream };
}

describe('logger', () => {
  it('redacts listed keys, at the top and one level down', () => {
    const { lines, stream } = capture();
    createLogger({}, stream).info({ patient: { id: 'p' }, req: { body: 'x', method: 'GET' }, ok: 1 }, 'hello');
    expect(lines[0]).toMatchObject({ patient: '[redacted]', req: { body: '[redacted]', method: 'GET' }, ok: 1, msg: 'hello' });
  });

  it('unredactedSibling writes to the same destination with the same level and base fields, unredacted', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'warn', name: 'svc-x' }, stream);
    const sibling = unredactedSibling(logger);
    sibling.info({ route: '/a' }, 'dropped at warn');
    sibling.warn({ route: '/a', name: 'shown' }, 'kept');
    logger.warn({ route: '/b' }, 'kept too');
    expect(lines.map((l) => l.msg)).toEqual(['kept', 'kept too']);
    expect(lines[0]).toMatchObject({ svc: 'svc-x', pid: process.pid, route: '/a', name: 'shown', level: 40 });
  });
});

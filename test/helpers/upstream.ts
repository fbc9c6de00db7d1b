import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '../../src/platform/errors.js';

/** Awaits a rejection with an AppError of this status whose message matches; returns it. */
export async function rejectsWith(promise: Promise<unknown>, status: number, pattern: RegExp): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.status, status, error.message);
    assert.match(error.message, pattern);
    return error;
  }
  assert.fail('expected a rejection');
}

/** A local port nothing listens on (to test an unreachable upstream). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

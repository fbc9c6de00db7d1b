// Hashes, CIDR tests and graph reachability.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { RSet, type Value } from '../values.js';
import { BuiltinError, collection, def, obj, str } from './registry.js';

for (const alg of ['md5', 'sha1', 'sha256']) {
  def(`crypto.${alg}`, 1, (args) =>
    createHash(alg)
      .update(str(`crypto.${alg}`, args, 0), 'utf8')
      .digest('hex'),
  );
}
for (const alg of ['md5', 'sha1', 'sha256', 'sha512']) {
  const name = `crypto.hmac.${alg}`;
  def(name, 2, (args) =>
    createHmac(alg, str(name, args, 1))
      .update(str(name, args, 0), 'utf8')
      .digest('hex'),
  );
}
def('crypto.hmac.equal', 2, (args) => {
  const a = Buffer.from(str('crypto.hmac.equal', args, 0));
  const b = Buffer.from(str('crypto.hmac.equal', args, 1));
  return a.length === b.length && timingSafeEqual(a, b);
});

/** An address or network as [first, last, bits] with addresses as integers (IPv4: 32 bits, IPv6: 128). */
function parseNet(name: string, s: string): [bigint, bigint, number] {
  const [addr, prefix] = s.split('/');
  let value: bigint;
  let bits: number;
  if (addr.includes(':')) {
    bits = 128;
    const halves = addr.split('::');
    if (halves.length > 2) throw new BuiltinError(`${name}: invalid address ${s}`);
    const head = halves[0] ? halves[0].split(':') : [];
    const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
    const groups = halves.length === 2 ? [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail] : head;
    if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g)))
      throw new BuiltinError(`${name}: invalid address ${s}`);
    value = groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
  } else {
    bits = 32;
    const parts = addr.split('.');
    if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255))
      throw new BuiltinError(`${name}: invalid address ${s}`);
    value = parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
  }
  const len = prefix === undefined ? bits : Number(prefix);
  if (!Number.isInteger(len) || len < 0 || len > bits) throw new BuiltinError(`${name}: invalid prefix in ${s}`);
  const hostBits = BigInt(bits - len);
  const first = (value >> hostBits) << hostBits;
  const last = first | ((1n << hostBits) - 1n);
  return [first, last, bits];
}

def('net.cidr_contains', 2, (args) => {
  const [a1, a2, ab] = parseNet('net.cidr_contains', str('net.cidr_contains', args, 0));
  const [b1, b2, bb] = parseNet('net.cidr_contains', str('net.cidr_contains', args, 1));
  return ab === bb && a1 <= b1 && b2 <= a2;
});
def('net.cidr_intersects', 2, (args) => {
  const [a1, a2, ab] = parseNet('net.cidr_intersects', str('net.cidr_intersects', args, 0));
  const [b1, b2, bb] = parseNet('net.cidr_intersects', str('net.cidr_intersects', args, 1));
  return ab === bb && a1 <= b2 && b1 <= a2;
});
def('net.cidr_is_valid', 1, ([v]) => {
  if (typeof v !== 'string' || !v.includes('/')) return false;
  try {
    parseNet('net.cidr_is_valid', v);
    return true;
  } catch {
    return false;
  }
});

def('graph.reachable', 2, (args) => {
  const graph = obj('graph.reachable', args, 0);
  const seen = new RSet();
  const todo = [...collection('graph.reachable', args, 1)];
  while (todo.length > 0) {
    const n = todo.pop() as Value;
    if (seen.has(n)) continue;
    const edges = graph.get(n);
    if (edges === undefined) continue;
    seen.add(n);
    if (Array.isArray(edges) || edges instanceof RSet) todo.push(...(Array.isArray(edges) ? edges : edges.sorted()));
  }
  return seen;
});
def('trace', 1, (args) => {
  str('trace', args, 0);
  return true;
});

// rand.intn, uuid.rfc4122, uuid.parse, semver.is_valid, semver.compare.
import { randomInt, randomUUID } from 'node:crypto';
import { RObject, type Value } from '../values.js';
import { BuiltinError, def, str } from './registry.js';

// rand.intn and uuid.rfc4122 return the same value for the same arguments within one evaluation.
def('rand.intn', 2, (args, ctx) => {
  const seed = str('rand.intn', args, 0);
  const n = args[1];
  if (typeof n !== 'number' || !Number.isInteger(n)) return undefined;
  if (n === 0) return 0;
  const key = `rand.intn\u0000${seed}\u0000${n}`;
  let v = ctx.memo.get(key);
  if (v === undefined) {
    v = randomInt(Math.abs(n));
    ctx.memo.set(key, v);
  }
  return v;
});

def('uuid.rfc4122', 1, (args, ctx) => {
  const key = `uuid\u0000${str('uuid.rfc4122', args, 0)}`;
  let v = ctx.memo.get(key);
  if (v === undefined) {
    v = randomUUID();
    ctx.memo.set(key, v);
  }
  return v;
});

const UUID = /^(?:urn:uuid:)?\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i;
def('uuid.parse', 1, (args) => {
  const m = UUID.exec(str('uuid.parse', args, 0));
  if (!m) return undefined;
  const hex = m.slice(1).join('').toLowerCase();
  const bytes = Buffer.from(hex, 'hex');
  const version = bytes[6] >> 4;
  const v8 = bytes[8];
  const variant =
    (v8 & 0x80) === 0
      ? 'Reserved, NCS backward compatibility.'
      : (v8 & 0xc0) === 0x80
        ? 'RFC4122'
        : (v8 & 0xe0) === 0xc0
          ? 'Reserved, Microsoft Corporation backward compatibility.'
          : 'Reserved for future definition.';
  const out = new RObject();
  out.set('version', version).set('variant', variant);
  if ((version === 1 || version === 2) && variant === 'RFC4122') {
    const low = BigInt(`0x${hex.slice(0, 8)}`);
    const mid = BigInt(`0x${hex.slice(8, 12)}`);
    const high = BigInt(`0x${hex.slice(13, 16)}`);
    const ts = (high << 48n) | (mid << 32n) | low;
    out.set('time', Number((ts - 0x01b21dd213814000n) * 100n));
    out.set('clocksequence', ((bytes[8] & 0x3f) << 8) | bytes[9]);
    const node = [...bytes.subarray(10)].map((b) => b.toString(16).padStart(2, '0'));
    out.set('nodeid', node.join('-'));
    out.set('macvariables', `${bytes[10] & 0x02 ? 'local' : 'global'}:${bytes[10] & 0x01 ? 'multicast' : 'unicast'}`);
    if (version === 2) {
      out.set('id', bytes.readUInt32BE(0));
      out.set('domain', ['Person', 'Group', 'Org'][bytes[9]] ?? `Domain${bytes[9]}`);
      out.set('clocksequence', bytes[8] & 0x3f);
    }
  }
  return out;
});

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

def('semver.is_valid', 1, ([v]) => typeof v === 'string' && SEMVER.test(v));

function semver(name: string, v: Value): RegExpExecArray {
  if (typeof v !== 'string') throw new BuiltinError(`${name}: operand must be string`);
  const m = SEMVER.exec(v);
  if (!m) throw new BuiltinError(`${name}: ${JSON.stringify(v)} is not a valid SemVer`);
  return m;
}

def('semver.compare', 2, ([a, b]) => {
  const x = semver('semver.compare', a);
  const y = semver('semver.compare', b);
  for (let i = 1; i <= 3; i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  const px = x[4];
  const py = y[4];
  if (px === undefined || py === undefined) return px === py ? 0 : px === undefined ? 1 : -1;
  const ax = px.split('.');
  const ay = py.split('.');
  for (let i = 0; i < Math.max(ax.length, ay.length); i++) {
    if (ax[i] === undefined) return -1;
    if (ay[i] === undefined) return 1;
    const nx = /^\d+$/.test(ax[i]);
    const ny = /^\d+$/.test(ay[i]);
    if (nx && ny) {
      const d = Number(ax[i]) - Number(ay[i]);
      if (d !== 0) return d < 0 ? -1 : 1;
    } else if (nx !== ny) return nx ? -1 : 1;
    else if (ax[i] !== ay[i]) return ax[i] < ay[i] ? -1 : 1;
  }
  return 0;
});

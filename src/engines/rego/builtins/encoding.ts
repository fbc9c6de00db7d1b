// JSON, YAML, base64 and URL encodings.
import YAML from 'yaml';
import { fromJSON, stringify } from '../values.js';
import { BuiltinError, def, str } from './registry.js';

def('json.marshal', 1, ([v]) => stringify(v));
def('json.marshal_with_options', 2, ([v]) => stringify(v));
def('json.unmarshal', 1, (args) => {
  try {
    return fromJSON(JSON.parse(str('json.unmarshal', args, 0)));
  } catch (e) {
    if (e instanceof BuiltinError) throw e;
    throw new BuiltinError(`json.unmarshal: ${(e as Error).message}`);
  }
});
def('json.is_valid', 1, ([v]) => {
  if (typeof v !== 'string') return false;
  try {
    JSON.parse(v);
    return true;
  } catch {
    return false;
  }
});
def('yaml.marshal', 1, ([v]) => YAML.stringify(JSON.parse(stringify(v))));
def('yaml.unmarshal', 1, (args) => {
  try {
    return fromJSON(YAML.parse(str('yaml.unmarshal', args, 0)));
  } catch (e) {
    throw new BuiltinError(`yaml.unmarshal: ${(e as Error).message}`);
  }
});
def('yaml.is_valid', 1, ([v]) => {
  if (typeof v !== 'string') return false;
  try {
    YAML.parse(v);
    return true;
  } catch {
    return false;
  }
});
def('base64.encode', 1, (args) => Buffer.from(str('base64.encode', args, 0), 'utf8').toString('base64'));
def('base64.decode', 1, (args) => Buffer.from(str('base64.decode', args, 0), 'base64').toString('utf8'));
def('base64.is_valid', 1, ([v]) => typeof v === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0);
def('base64url.encode', 1, (args) => Buffer.from(str('base64url.encode', args, 0), 'utf8').toString('base64url'));
def('base64url.encode_no_pad', 1, (args) =>
  Buffer.from(str('base64url.encode_no_pad', args, 0), 'utf8')
    .toString('base64url')
    .replace(/=+$/, ''),
);
def('base64url.decode', 1, (args) => Buffer.from(str('base64url.decode', args, 0), 'base64url').toString('utf8'));
def('urlquery.encode', 1, (args) => encodeURIComponent(str('urlquery.encode', args, 0)).replace(/%20/g, '+'));
def('urlquery.decode', 1, (args) => decodeURIComponent(str('urlquery.decode', args, 0).replace(/\+/g, ' ')));
def('hex.encode', 1, (args) => Buffer.from(str('hex.encode', args, 0), 'utf8').toString('hex'));
def('hex.decode', 1, (args) => Buffer.from(str('hex.decode', args, 0), 'hex').toString('utf8'));

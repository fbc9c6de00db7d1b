import type { Config } from '../config.js';

/**
 * This server's address as links and templates show it: GANTRY_PUBLIC_URL, else the address it
 * listens on (`localPort`: the port a request came in on). Never the request's Host header: a forged
 * Host would send links to an attacker's site.
 */
export function publicBaseUrl(config: Pick<Config, 'publicUrl' | 'host' | 'port'>, localPort?: number): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '');
  const host = ['0.0.0.0', '::', ''].includes(config.host)
    ? 'localhost'
    : config.host.includes(':')
      ? `[${config.host}]`
      : config.host;
  return `http://${host}:${localPort ?? config.port}`;
}

import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import type { GitTarget } from '../net/git-url.js';
import { GitError } from './errors.js';

/** A credential as the caller opened it from the vault; never written into a URL, argv or a log. */
export type GitCredential =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'ssh'; privateKey: string; passphrase?: string };

export interface GitRemote {
  url: string;
  credential?: GitCredential;
  /** PEM certificate authority trusted for this https remote, besides the public ones. */
  caCert?: string;
}

export interface SessionOptions {
  /** Where per-operation directories (askpass script, key file, CA bundle) are made, mode 0700. */
  tmpRoot: string;
  /** Home of the git processes: empty, so no user configuration is read. */
  home: string;
  knownHostsFile: string;
  hostKeys: 'strict' | 'accept-new';
}

/**
 * What one git invocation against a remote needs: the environment, the secrets to mask in its output,
 * and a directory to remove afterwards. Secrets reach git only through this environment (readable by
 * the server's own user, unlike argv in /proc/<pid>/cmdline) and files of mode 0600 in a 0700
 * directory removed when the operation ends.
 */
export interface GitSession {
  env: Record<string, string>;
  /** The operation's own directory (mode 0700), removed by dispose. */
  dir: string;
  secrets: string[];
  dispose(): Promise<void>;
}

/** Configuration every git process gets, whatever it does. */
export function baseGitEnv(home: string, config: [string, string][] = []): Record<string, string> {
  const entries: [string, string][] = [
    // Only the transports the target needs are turned back on (see remoteSession).
    ['protocol.allow', 'never'],
    // A redirect would reach a host the URL policy never checked, with the credential.
    ['http.followRedirects', 'false'],
    ['http.sslVerify', 'true'],
    // A stalled transfer ends instead of holding the time limit.
    ['http.lowSpeedLimit', '1000'],
    ['http.lowSpeedTime', '30'],
    ['credential.helper', ''],
    ['core.hooksPath', '/dev/null'],
    ['core.fsmonitor', 'false'],
    // Automatic gc detaches from its parent: it would outlive the process group and the time limit.
    ['gc.auto', '0'],
    ['maintenance.auto', 'false'],
    ['fetch.recurseSubmodules', 'false'],
    ['submodule.recurse', 'false'],
    ['init.defaultBranch', 'main'],
    ['advice.detachedHead', 'false'],
    ...config,
  ];
  const env: Record<string, string> = {
    HOME: home,
    LC_ALL: 'C',
    LANG: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_CONFIG_COUNT: String(entries.length),
  };
  entries.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** Prints the username or the secret (password, key passphrase) it is asked for, from its environment. */
const ASKPASS = `#!/bin/sh
case "$1" in
  [Uu]sername*) printf '%s\\n' "$GANTRY_ASKPASS_USERNAME" ;;
  *) printf '%s\\n' "$GANTRY_ASKPASS_SECRET" ;;
esac
`;

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Opens a session for one operation against a remote. `address` is the resolved, checked address git
 * must connect to (ignored for local targets).
 */
export async function remoteSession(
  target: GitTarget,
  address: string | undefined,
  remote: GitRemote,
  options: SessionOptions,
): Promise<GitSession> {
  const credential = remote.credential;
  if (credential && target.kind !== (credential.kind === 'basic' ? 'https' : 'ssh')) {
    // Never offer one transport's secret to another (a key passphrase as an https password).
    const kind = credential.kind === 'basic' ? 'a username and password' : 'an ssh key';
    throw new GitError(
      'invalid',
      `${kind} cannot be used with ${target.kind === 'local' ? 'a local' : `an ${target.kind}`} repository URL`,
    );
  }
  await mkdir(options.tmpRoot, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(options.tmpRoot, 'op-'));
  await chmod(dir, 0o700);
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    const config: [string, string][] = [];
    const env: Record<string, string> = {};
    const secrets: string[] = [];

    if (credential?.kind === 'basic' || credential?.kind === 'ssh') {
      const askpass = join(dir, 'askpass.sh');
      await writeFile(askpass, ASKPASS, { mode: 0o700 });
      env.GIT_ASKPASS = askpass;
      env.SSH_ASKPASS = askpass;
      env.SSH_ASKPASS_REQUIRE = 'force';
    }
    if (credential?.kind === 'basic') {
      env.GANTRY_ASKPASS_USERNAME = credential.username;
      env.GANTRY_ASKPASS_SECRET = credential.password;
      secrets.push(
        credential.password,
        Buffer.from(`${credential.username}:${credential.password}`).toString('base64'),
        encodeURIComponent(credential.password),
      );
    }

    if (target.kind === 'https') {
      config.push(['protocol.https.allow', 'always']);
      if (address && !isIP(target.host)) {
        const pinned = address.includes(':') ? `[${address}]` : address;
        config.push(['http.curloptResolve', `${target.host}:${target.port}:${pinned}`]);
      }
      if (remote.caCert) {
        // git's CA file replaces the public authorities: keep them, so a private CA adds trust only.
        const bundle = join(dir, 'ca.pem');
        await writeFile(bundle, `${[...rootCertificates, remote.caCert].join('\n')}\n`, { mode: 0o600 });
        config.push(['http.sslCAInfo', bundle]);
      }
    } else if (target.kind === 'ssh') {
      config.push(['protocol.ssh.allow', 'always']);
      const ssh = [
        'ssh',
        '-F /dev/null',
        '-o IdentitiesOnly=yes',
        '-o IdentityAgent=none',
        `-o UserKnownHostsFile=${shellQuote(options.knownHostsFile)}`,
        '-o GlobalKnownHostsFile=/dev/null',
        `-o StrictHostKeyChecking=${options.hostKeys === 'accept-new' ? 'accept-new' : 'yes'}`,
        // Connect to the address the policy checked; keep the host key under the name the user gave.
        ...(address ? [`-o HostName=${address}`] : []),
        `-o HostKeyAlias=${shellQuote(target.port === 22 ? target.host : `[${target.host}]:${target.port}`)}`,
        '-o CheckHostIP=no',
        '-o ConnectTimeout=15',
        '-o ServerAliveInterval=15',
        '-o ServerAliveCountMax=2',
        '-o PreferredAuthentications=publickey',
        '-o PasswordAuthentication=no',
        '-o KbdInteractiveAuthentication=no',
        '-o ProxyCommand=none',
        '-o PermitLocalCommand=no',
        '-o ClearAllForwardings=yes',
      ];
      if (credential?.kind === 'ssh') {
        const keyFile = join(dir, 'id');
        const key = credential.privateKey.endsWith('\n') ? credential.privateKey : `${credential.privateKey}\n`;
        await writeFile(keyFile, key, { mode: 0o600 });
        ssh.push(`-i ${shellQuote(keyFile)}`);
        if (credential.passphrase) {
          env.GANTRY_ASKPASS_SECRET = credential.passphrase;
          secrets.push(credential.passphrase);
        } else {
          ssh.push('-o BatchMode=yes');
        }
      } else {
        ssh.push('-o IdentityFile=none', '-o BatchMode=yes');
      }
      env.GIT_SSH_COMMAND = ssh.join(' ');
      env.GIT_SSH_VARIANT = 'ssh';
    } else {
      config.push(['protocol.file.allow', 'always']);
    }

    return { env: { ...baseGitEnv(options.home, config), ...env }, dir, secrets, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

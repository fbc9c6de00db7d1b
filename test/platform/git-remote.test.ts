import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createGit, type Git, type GitOptions } from '../../src/platform/git/index.js';
import {
  type GitHttpServer,
  type GitSshServer,
  gitSync,
  type LogRecord,
  loopbackAllowedPolicy,
  makeBareRepo,
  missingPrograms,
  recordingLogger,
  rejectsGit,
  type SshKeyPair,
  sshKeyPair,
  startGitHttpServer,
  startGitSshServer,
  TEST_CA,
} from '../helpers/git-servers.js';

const skip = missingPrograms('git', 'ssh');

describe('git against remote servers', { skip }, () => {
  let root: string;
  let repos: string;
  let http: GitHttpServer;
  let ssh: GitSshServer;
  let key: SshKeyPair;
  let lockedKey: SshKeyPair;
  let argvLog: string;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const passphrase = `pp-${randomBytes(12).toString('hex')}`;
  const logs: LogRecord[] = [];

  /** A git layer whose git records its argument vectors, to prove no secret is ever in one. */
  const gitWith = (name: string, extra: Partial<GitOptions> = {}): Git => {
    return createGit({
      dataDir: join(root, name),
      urlPolicy: { outbound: loopbackAllowedPolicy(), allowLocal: false },
      logger: recordingLogger(logs),
      gitBinary: join(root, 'recording-git'),
      ...extra,
    });
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'gantry-git-remote-'));
    repos = join(root, 'repos');
    makeBareRepo(repos, 'stacks', { main: { 'README.md': '# stacks\n', 'stacks/web/.cycloid.yml': 'name: web\n' } });
    makeBareRepo(repos, 'config', { main: { 'keep.txt': 'keep\n' } });
    makeBareRepo(repos, 'empty');
    argvLog = join(root, 'argv.log');
    // Records its argument vector, and the modes of the operation directory and its files.
    const script = [
      '#!/bin/sh',
      `printf '%s\\n' "$*" >> '${argvLog}'`,
      `if [ -n "$GIT_ASKPASS" ]; then op=$(dirname "$GIT_ASKPASS"); stat -c '%a %n' "$op" "$op"/* >> '${argvLog}.modes'; fi`,
      'exec git "$@"',
      '',
    ].join('\n');
    writeFileSync(join(root, 'recording-git'), script, { mode: 0o755 });
    key = sshKeyPair();
    lockedKey = sshKeyPair(passphrase);
    http = await startGitHttpServer(repos, 'reader', password);
    ssh = await startGitSshServer(repos, [key.publicKey, lockedKey.publicKey]);
  });
  after(async () => {
    await http?.close();
    await ssh?.close();
    rmSync(root, { recursive: true, force: true });
  });

  describe('https (git http-backend, basic auth, TLS from the test CA)', () => {
    const basic = () => ({ kind: 'basic' as const, username: 'reader', password });

    it('lists branches, syncs and reads with basic auth through askpass; never in a URL', async () => {
      const git = gitWith('https');
      const remote = { url: http.url('stacks'), credential: basic(), caCert: TEST_CA };
      const commit = gitSync(['rev-parse', 'main'], join(repos, 'stacks.git')).trim();
      assert.deepEqual(await git.listBranches(remote), [{ name: 'main', commit }]);
      assert.deepEqual(await git.listBranches({ ...remote, url: http.url('empty') }), []);
      const synced = await git.sync(remote, 'main');
      assert.equal(synced.commit, commit);
      assert.equal((await git.readFile(synced.dir, commit, 'stacks/web/.cycloid.yml')).toString(), 'name: web\n');
      assert.ok(
        http.seen.some((r) => r.authorization?.startsWith('Basic ')),
        'the credential was used',
      );
      assert.ok(http.seen.every((r) => !r.url.includes(password) && !r.url.includes('reader')));
    });

    it('commits and pushes over https', async () => {
      const git = gitWith('https-push');
      const remote = { url: http.url('config'), credential: basic(), caCert: TEST_CA };
      const pushed = await git.commitAndPush({
        remote,
        branch: 'main',
        author: { name: 'Ada', email: 'ada@example.com' },
        message: 'Add an environment',
        files: [{ path: 'envs/prod.yml', content: 'region: eu\n' }],
      });
      assert.ok(pushed.pushed);
      assert.equal(gitSync(['rev-parse', 'main'], join(repos, 'config.git')).trim(), pushed.commit);
      assert.equal(gitSync(['show', 'main:envs/prod.yml'], join(repos, 'config.git')), 'region: eu\n');
    });

    it('fails clearly on a wrong password, a missing credential and an untrusted certificate', async () => {
      const git = gitWith('https-bad');
      const wrong = await rejectsGit(
        git.listBranches({
          url: http.url('stacks'),
          credential: { kind: 'basic', username: 'reader', password: 'wrong-password' },
          caCert: TEST_CA,
        }),
        'auth',
      );
      assert.equal(wrong.status, 422);
      assert.doesNotMatch(wrong.message, /wrong-password/);
      await rejectsGit(git.listBranches({ url: http.url('stacks'), caCert: TEST_CA }), 'auth');
      await rejectsGit(
        git.listBranches({ url: http.url('stacks'), credential: basic() }),
        'unreachable',
        /certificate/i,
      );
      await rejectsGit(
        git.listBranches({ url: http.url('nothing'), credential: basic(), caCert: TEST_CA }),
        'not-found',
      );
      await rejectsGit(
        git.listBranches({
          url: http.url('stacks'),
          credential: { kind: 'ssh', privateKey: key.privateKey, passphrase },
        }),
        'invalid',
        /an ssh key cannot be used with an https repository URL/,
      );
      await rejectsGit(git.listBranches({ url: ssh.url('stacks'), credential: basic() }), 'invalid', /ssh repository/);
    });

    it('connects to the address the policy checked, not to what git would resolve', async () => {
      // The test lookup answers for "localhost": git must go where it says (127.0.0.2 has no server),
      // not where the system resolver would send it (127.0.0.1, where the server listens).
      let answer = '127.0.0.2';
      let lookups = 0;
      const git = gitWith('https-pin', {
        lookup: async () => {
          lookups++;
          return [{ address: answer, family: 4 }];
        },
      });
      const remote = { url: `https://localhost:${http.port}/stacks.git`, credential: basic(), caCert: TEST_CA };
      await rejectsGit(git.listBranches(remote), 'unreachable');
      answer = '127.0.0.1';
      assert.equal((await git.listBranches(remote)).length, 1);
      assert.equal(lookups, 2);
    });
  });

  describe('ssh (an ssh2 server running git-upload-pack and git-receive-pack)', () => {
    it('refuses an unknown host key by default, naming where it must be', async () => {
      const git = gitWith('ssh-strict');
      await rejectsGit(
        git.listBranches({ url: ssh.url('stacks'), credential: { kind: 'ssh', privateKey: key.privateKey } }),
        'host-key',
        /known_hosts/,
      );
    });

    it('lists, syncs, reads and pushes with a key when the host key is known', async () => {
      const git = gitWith('ssh');
      mkdirSync(join(root, 'ssh', 'git'), { recursive: true });
      writeFileSync(join(root, 'ssh', 'git', 'known_hosts'), `${ssh.knownHostsLine}\n`);
      const remote = { url: ssh.url('stacks'), credential: { kind: 'ssh' as const, privateKey: key.privateKey } };
      const commit = gitSync(['rev-parse', 'main'], join(repos, 'stacks.git')).trim();
      assert.deepEqual(await git.listBranches(remote), [{ name: 'main', commit }]);
      const synced = await git.sync(remote, 'main');
      assert.equal((await git.readFile(synced.dir, synced.commit, 'README.md')).toString(), '# stacks\n');
      const pushed = await git.commitAndPush({
        remote: { ...remote, url: ssh.url('config') },
        branch: 'main',
        author: { name: 'Ada', email: 'ada@example.com' },
        message: 'Over ssh',
        files: [{ path: 'ssh.txt', content: 'yes\n' }],
      });
      assert.ok(pushed.pushed);
      assert.equal(gitSync(['show', 'main:ssh.txt'], join(repos, 'config.git')), 'yes\n');
      assert.ok(ssh.commands.includes("git-receive-pack '/config.git'"));
    });

    it('accepts and remembers a new host key only when configured to', async () => {
      const git = gitWith('ssh-accept', { sshHostKeys: 'accept-new' });
      const remote = { url: ssh.url('stacks'), credential: { kind: 'ssh' as const, privateKey: key.privateKey } };
      assert.equal((await git.listBranches(remote)).length, 1);
      const known = readFileSync(join(root, 'ssh-accept', 'git', 'known_hosts'), 'utf8');
      assert.ok(known.includes(ssh.knownHostsLine.split(' ')[2]!), 'the host key was written');
    });

    it('connects to the address the policy checked, not to what ssh would resolve', async () => {
      let answer = '127.0.0.2';
      const git = gitWith('ssh-pin', {
        sshHostKeys: 'accept-new',
        lookup: async () => [{ address: answer, family: 4 }],
      });
      const remote = {
        url: `ssh://git@localhost:${ssh.port}/stacks.git`,
        credential: { kind: 'ssh' as const, privateKey: key.privateKey },
      };
      await rejectsGit(git.listBranches(remote), 'unreachable');
      answer = '127.0.0.1';
      assert.equal((await git.listBranches(remote)).length, 1);
      const known = readFileSync(join(root, 'ssh-pin', 'git', 'known_hosts'), 'utf8');
      assert.match(known, new RegExp(`^\\[localhost\\]:${ssh.port} `), 'the key is kept under the name given');
    });

    it('opens a key with a passphrase through askpass, and fails clearly with a wrong key', async () => {
      const git = gitWith('ssh-locked', { sshHostKeys: 'accept-new' });
      const locked = {
        url: ssh.url('stacks'),
        credential: { kind: 'ssh' as const, privateKey: lockedKey.privateKey, passphrase },
      };
      assert.equal((await git.listBranches(locked)).length, 1);
      const stranger = sshKeyPair();
      const error = await rejectsGit(
        git.listBranches({ url: ssh.url('stacks'), credential: { kind: 'ssh', privateKey: stranger.privateKey } }),
        'auth',
      );
      assert.equal(error.status, 422);
      await rejectsGit(
        git.listBranches({
          url: ssh.url('stacks'),
          credential: { kind: 'ssh', privateKey: lockedKey.privateKey, passphrase: 'nope' },
        }),
        'auth',
      );
    });
  });

  it('never puts a secret in an argument vector, a log line or a file left behind', () => {
    const modes = readFileSync(`${argvLog}.modes`, 'utf8').trim().split('\n');
    assert.ok(
      modes.some((line) => /^600 .*\/op-[^/]+\/id$/.test(line)),
      'a key file was seen',
    );
    for (const line of modes) {
      const [mode, path] = line.split(' ') as [string, string];
      if (/\/op-[^/]+$/.test(path)) assert.equal(mode, '700', path);
      else if (path.endsWith('/askpass.sh')) assert.equal(mode, '700', path);
      else if (/\/(id|ca\.pem)$/.test(path)) assert.equal(mode, '600', path);
    }
    const argv = readFileSync(argvLog, 'utf8');
    assert.ok(argv.includes('ls-remote'), 'the recording git ran');
    const everything = `${argv}\n${JSON.stringify(logs)}`;
    for (const secret of [password, passphrase, key.privateKey.split('\n')[1]!, lockedKey.privateKey.split('\n')[1]!]) {
      assert.ok(!everything.includes(secret), 'a secret leaked');
    }
    for (const name of ['https', 'ssh', 'ssh-locked', 'https-bad']) {
      assert.deepEqual(readdirSync(join(root, name, 'git', 'tmp')), [], `${name}: no key, askpass or CA file left`);
    }
  });
});

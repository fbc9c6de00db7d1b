import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type GitTarget,
  GitUrlError,
  gitUrlProblem,
  parseGitUrl,
  resolveGitTarget,
} from '../../src/platform/net/git-url.js';
import { DEFAULT_OUTBOUND_POLICY, parseOutboundPolicy } from '../../src/platform/net/outbound.js';

const open = { outbound: parseOutboundPolicy(''), allowLocal: true };
const closed = { outbound: parseOutboundPolicy('loopback,private'), allowLocal: false };

function refused(url: string, policy: typeof open, rule: string, pattern?: RegExp): void {
  assert.throws(
    () => parseGitUrl(url, policy),
    (error: unknown) => {
      assert.ok(error instanceof GitUrlError, `${url}: ${String(error)}`);
      assert.equal(error.rule, rule, `${url}: ${error.message}`);
      assert.match(error.message, new RegExp(`rule "${rule}"`));
      if (pattern) assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('git URL policy', () => {
  it('accepts https, both ssh forms, and local repositories when allowed', () => {
    assert.deepEqual(parseGitUrl('https://git.example.com/team/stacks.git', open), {
      kind: 'https',
      url: 'https://git.example.com/team/stacks.git',
      host: 'git.example.com',
      port: 443,
    });
    assert.deepEqual(parseGitUrl('ssh://git@git.example.com:2222/team/stacks.git', open), {
      kind: 'ssh',
      url: 'ssh://git@git.example.com:2222/team/stacks.git',
      user: 'git',
      host: 'git.example.com',
      port: 2222,
      path: '/team/stacks.git',
    });
    assert.deepEqual(parseGitUrl('git@github.com:cycloidio/stacks.git', open), {
      kind: 'ssh',
      url: 'git@github.com:cycloidio/stacks.git',
      user: 'git',
      host: 'github.com',
      port: 22,
      path: 'cycloidio/stacks.git',
    });
    const v6 = parseGitUrl('git@[2001:db8::1]:repo.git', open) as Extract<GitTarget, { kind: 'ssh' }>;
    assert.equal(v6.host, '2001:db8::1');
    assert.deepEqual(parseGitUrl('file:///srv/git/stacks.git', open), {
      kind: 'local',
      url: 'file:///srv/git/stacks.git',
      path: '/srv/git/stacks.git',
    });
    assert.equal(parseGitUrl('/srv/git/stacks.git', open).kind, 'local');
  });

  it('refuses metadata and denied networks in every spelling, naming the rule', () => {
    for (const url of [
      'https://169.254.169.254/latest/meta-data',
      'https://2852039166/x.git',
      'https://[::ffff:169.254.169.254]/x.git',
      'https://metadata.google.internal/x.git',
      'ssh://git@169.254.169.254/x.git',
      'ssh://git@2852039166/x.git',
      'ssh://git@0xa9fea9fe/x.git',
      'git@169.254.169.254:x.git',
      'git@[fd00:ec2::254]:x.git',
      'git@metadata.google.internal:x.git',
    ]) {
      refused(url, open, 'network', /may not call/);
    }
    refused('https://127.0.0.1/x.git', closed, 'network');
    refused('git@10.1.2.3:x.git', closed, 'network');
    refused('ssh://localhost/x.git', closed, 'network');
  });

  it('refuses local repositories when local is off', () => {
    for (const url of ['file:///srv/git/x.git', '/srv/git/x.git', './x.git', '~/x.git', 'x.git']) {
      refused(url, closed, 'local', /GANTRY_GIT_ALLOW_LOCAL/);
    }
    refused('./x.git', open, 'syntax', /absolute/);
    refused('file://otherhost/srv/x.git', open, 'syntax', /host/);
  });

  it('refuses transports that run programs, options and other schemes', () => {
    refused('ext::sh -c touch% /tmp/pwned', open, 'syntax');
    refused('ext::sh', open, 'transport', /"ext::"/);
    refused('fd::3', open, 'transport');
    refused('--upload-pack=touch /tmp/pwned', open, 'syntax');
    refused('--upload-pack=touch', open, 'option');
    refused('-oProxyCommand=x:repo', open, 'option');
    refused('ssh://-oProxyCommand=touch/x.git', open, 'option');
    refused('-u@host:repo', open, 'option');
    refused('git@-host:repo', open, 'option');
    refused('git@host:-repo', open, 'option');
    refused('ssh://-user@host/repo', open, 'option');
    refused('http://git.example.com/x.git', open, 'scheme', /use https/);
    refused('git://git.example.com/x.git', open, 'scheme');
    refused('ftp://git.example.com/x.git', open, 'scheme');
    refused('https://user:secret@git.example.com/x.git', open, 'credentials');
    refused('ssh://git:secret@git.example.com/x.git', open, 'credentials');
    refused('https://git.example.com/x\n.git', open, 'syntax');
    refused('', open, 'syntax');
    refused(`https://git.example.com/${'a'.repeat(3000)}`, open, 'syntax');
    refused('git@ho?st:repo', open, 'syntax');
    refused('gi;t@host:repo', open, 'syntax', /user name/);
    refused('ssh://a%60id%60@host/repo', open, 'syntax', /user name/);
    assert.doesNotMatch(gitUrlProblem('https://user:secret@git.example.com/x.git', open)!, /secret/);
    assert.equal(gitUrlProblem('https://git.example.com/x.git', open), undefined);
  });

  it('checks every address a name resolves to and returns the one to pin', async () => {
    const target = parseGitUrl('https://git.example.com/x.git', open) as Extract<GitTarget, { kind: 'https' }>;
    const resolves =
      (...addresses: string[]) =>
      async () =>
        addresses.map((address) => ({ address, family: 4 }));
    assert.equal(await resolveGitTarget(target, DEFAULT_OUTBOUND_POLICY, resolves('203.0.113.5')), '203.0.113.5');
    await assert.rejects(
      resolveGitTarget(target, DEFAULT_OUTBOUND_POLICY, resolves('203.0.113.5', '169.254.169.254')),
      (error: unknown) => error instanceof GitUrlError && error.rule === 'network' && /169\.254/.test(error.message),
    );
    await assert.rejects(
      resolveGitTarget(target, closed.outbound, resolves('127.0.0.1')),
      (error: unknown) => error instanceof GitUrlError && error.rule === 'network',
    );
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { checkGitAvailable, createGit, type Git } from '../../src/platform/git/index.js';
import { parseOutboundPolicy } from '../../src/platform/net/outbound.js';
import {
  gitSync,
  type LogRecord,
  loopbackAllowedPolicy,
  makeBareRepo,
  missingPrograms,
  recordingLogger,
  rejectsGit,
} from '../helpers/git-servers.js';

const skip = missingPrograms('git');

describe('git on local repositories', { skip }, () => {
  let root: string;
  let dataDir: string;
  let stacks: string;
  let empty: string;
  let git: Git;
  const logs: LogRecord[] = [];

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'gantry-git-test-'));
    dataDir = join(root, 'data');
    stacks = makeBareRepo(root, 'stacks', {
      main: {
        'README.md': '# stacks\n',
        'stacks/web/.cycloid.yml': 'name: web\n',
        'stacks/db/.cycloid.yml': 'name: db\n',
        'bin/blob': Buffer.from([0, 1, 2, 255]),
        'stacks/link': { symlink: '/etc/passwd' },
      },
      dev: { 'README.md': '# dev\n' },
    });
    empty = makeBareRepo(root, 'empty');
    git = createGit({
      dataDir,
      urlPolicy: { outbound: loopbackAllowedPolicy(), allowLocal: true },
      logger: recordingLogger(logs),
    });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('lists branches by path and file:// URL; [] for an empty repository', async () => {
    const main = gitSync(['rev-parse', 'main'], stacks).trim();
    const dev = gitSync(['rev-parse', 'dev'], stacks).trim();
    const expected = [
      { name: 'dev', commit: dev },
      { name: 'main', commit: main },
    ];
    assert.deepEqual(await git.listBranches({ url: stacks }), expected);
    assert.deepEqual(await git.listBranches({ url: `file://${stacks}` }), expected);
    assert.deepEqual(await git.listBranches({ url: empty }), []);
    await rejectsGit(git.listBranches({ url: join(root, 'nothing.git') }), 'not-found');
  });

  it('syncs a branch into the cache and reads files and listings at its commit', async () => {
    const { dir, commit } = await git.sync({ url: stacks }, 'main');
    assert.equal(commit, gitSync(['rev-parse', 'main'], stacks).trim());
    assert.ok(dir.startsWith(join(dataDir, 'git', 'repos')));
    assert.equal((await git.readFile(dir, commit, 'stacks/web/.cycloid.yml')).toString(), 'name: web\n');
    assert.deepEqual([...(await git.readFile(dir, commit, 'bin/blob'))], [0, 1, 2, 255]);
    assert.deepEqual(
      (await git.listFiles(dir, commit)).map((f) => f.path),
      ['README.md', 'bin/blob', 'stacks/db/.cycloid.yml', 'stacks/link', 'stacks/web/.cycloid.yml'],
    );
    const link = (await git.listFiles(dir, commit, 'stacks')).find((f) => f.path === 'stacks/link');
    assert.equal(link?.symlink, true);
    assert.equal((await git.readFile(dir, commit, 'stacks/link')).toString(), '/etc/passwd', 'never followed');
    assert.deepEqual(await git.listFiles(dir, commit, 'stacks/web'), [
      { path: 'stacks/web/.cycloid.yml', size: 10, executable: false, symlink: false },
    ]);
    // Nothing of the repository is checked out as files: the cache is bare.
    assert.ok(!readdirSync(dir).includes('README.md'));

    const again = await git.sync({ url: stacks }, 'dev');
    assert.equal(again.dir, dir, 'one cache directory per remote');
    assert.equal((await git.readFile(dir, again.commit, 'README.md')).toString(), '# dev\n');
  });

  it('refuses bad paths, commits and directories, and names missing files and branches', async () => {
    const { dir, commit } = await git.sync({ url: stacks }, 'main');
    await rejectsGit(git.readFile(dir, commit, 'nope.txt'), 'not-found', /nope\.txt/);
    await rejectsGit(git.readFile(dir, commit, 'stacks'), 'not-found');
    for (const path of ['../etc/passwd', '/etc/passwd', 'a//b', '.git/config', 'a/./b', '']) {
      await rejectsGit(git.readFile(dir, commit, path), 'invalid');
    }
    await rejectsGit(git.readFile(dir, 'HEAD', 'README.md'), 'invalid', /not a commit id/);
    await rejectsGit(git.readFile(dir, '--output=/tmp/x', 'README.md'), 'invalid');
    await rejectsGit(git.readFile(stacks, commit, 'README.md'), 'invalid', /cache/);
    await rejectsGit(git.readFile(join(dir, '..', '..'), commit, 'README.md'), 'invalid');
    await rejectsGit(git.sync({ url: stacks }, 'missing'), 'not-found', /branch missing not found/);
    for (const branch of ['-f', 'a..b', 'x.lock', 'a b', '', 'refs/../x', '@{1}']) {
      await rejectsGit(git.sync({ url: stacks }, branch), 'invalid');
    }
  });

  it('commits and pushes with an author; nothing to push when nothing changed', async () => {
    const work = makeBareRepo(root, 'work', { main: { 'keep.txt': 'keep\n', 'old.txt': 'old\n' } });
    const author = { name: 'Ada Admin', email: 'ada@example.com' };
    const first = await git.commitAndPush({
      remote: { url: work },
      branch: 'main',
      author,
      message: 'Update the catalog\n\nwith two files',
      files: [
        { path: 'new/file.yml', content: 'a: 1\n' },
        { path: 'run.sh', content: '#!/bin/sh\n', executable: true },
        { path: 'old.txt', content: null },
      ],
    });
    assert.ok(first.pushed);
    assert.equal(gitSync(['rev-parse', 'main'], work).trim(), first.commit);
    assert.equal(
      gitSync(['log', '-1', '--format=%an <%ae>|%cn|%s', 'main'], work).trim(),
      'Ada Admin <ada@example.com>|Ada Admin|Update the catalog',
    );
    assert.deepEqual(gitSync(['ls-tree', '-r', '--name-only', 'main'], work).trim().split('\n'), [
      'keep.txt',
      'new/file.yml',
      'run.sh',
    ]);
    assert.match(gitSync(['ls-tree', 'main', 'run.sh'], work), /^100755 /);
    assert.equal(gitSync(['rev-list', '--count', 'main'], work).trim(), '2');

    const same = await git.commitAndPush({
      remote: { url: work },
      branch: 'main',
      author,
      message: 'again',
      files: [{ path: 'new/file.yml', content: 'a: 1\n' }],
    });
    assert.deepEqual(same, { commit: first.commit, pushed: false });

    await rejectsGit(
      git.commitAndPush({
        remote: { url: work },
        branch: 'main',
        author,
        message: 'm',
        files: [{ path: 'new', content: 'x' }],
      }),
      'invalid',
      /new is a directory on main/,
    );
    await rejectsGit(
      git.commitAndPush({
        remote: { url: work },
        branch: 'main',
        author,
        message: 'm',
        files: [{ path: 'keep.txt/inner', content: 'x' }],
      }),
      'invalid',
      /keep\.txt is a file on main/,
    );
    assert.equal(gitSync(['rev-parse', 'main'], work).trim(), first.commit, 'nothing was pushed');
  });

  it('serializes writers of one repository: concurrent commits both land', async () => {
    const work = makeBareRepo(root, 'busy', { main: { 'a.txt': 'a\n' } });
    const author = { name: 'Gantry', email: 'gantry@example.com' };
    const results = await Promise.all(
      [1, 2, 3].map((n) =>
        git.commitAndPush({
          remote: { url: work },
          branch: 'main',
          author,
          message: `file ${n}`,
          files: [{ path: `f${n}.txt`, content: `${n}\n` }],
        }),
      ),
    );
    assert.ok(results.every((r) => r.pushed));
    assert.deepEqual(gitSync(['ls-tree', '--name-only', 'main'], work).trim().split('\n'), [
      'a.txt',
      'f1.txt',
      'f2.txt',
      'f3.txt',
    ]);
  });

  it('retries once when the branch moves during a commit, then reports a conflict', async () => {
    // A git that, before each of its first `moves` pushes, lets another writer push to the branch.
    const movingGit = (moves: number) => {
      const counter = join(root, `moves-${randomBytes(4).toString('hex')}`);
      writeFileSync(counter, '');
      const script = [
        '#!/bin/sh',
        'case " $* " in *" push "*)',
        `  if [ "$(wc -c < '${counter}')" -lt ${moves} ]; then`,
        `    printf x >> '${counter}'`,
        '    work=$(mktemp -d)',
        '    ( export GIT_AUTHOR_NAME=Other GIT_AUTHOR_EMAIL=o@example.com GIT_COMMITTER_NAME=Other GIT_COMMITTER_EMAIL=o@example.com',
        '      remote=$(printf "%s\\n" "$@" | tail -n 2 | head -n 1)',
        `      git clone -q "$remote" "$work" && cd "$work" && date +%N > "moved-$(wc -c < '${counter}')" &&`,
        '      git add -A && git commit -qm moved && git push -q origin HEAD:main ) >/dev/null 2>&1',
        '    rm -rf "$work"',
        '  fi ;;',
        'esac',
        'exec git "$@"',
        '',
      ].join('\n');
      const path = join(root, `moving-git-${moves}`);
      writeFileSync(path, script, { mode: 0o755 });
      return createGit({
        dataDir: join(root, `moving-data-${moves}`),
        urlPolicy: { outbound: loopbackAllowedPolicy(), allowLocal: true },
        logger: recordingLogger(logs),
        gitBinary: path,
      });
    };
    const request = (url: string) => ({
      remote: { url },
      branch: 'main',
      author: { name: 'Gantry', email: 'gantry@example.com' },
      message: 'ours',
      files: [{ path: 'ours.txt', content: 'ours\n' }],
    });

    const once = makeBareRepo(root, 'moves-once', { main: { 'a.txt': 'a\n' } });
    const retried = await movingGit(1).commitAndPush(request(once));
    assert.ok(retried.pushed);
    assert.equal(gitSync(['rev-parse', 'main'], once).trim(), retried.commit);
    assert.deepEqual(gitSync(['ls-tree', '--name-only', 'main'], once).trim().split('\n'), [
      'a.txt',
      'moved-1',
      'ours.txt',
    ]);

    const always = makeBareRepo(root, 'moves-always', { main: { 'a.txt': 'a\n' } });
    const error = await rejectsGit(movingGit(2).commitAndPush(request(always)), 'conflict', /moved while committing/);
    assert.equal(error.status, 409);
    assert.doesNotMatch(gitSync(['ls-tree', '--name-only', 'main'], always), /ours\.txt/);
  });

  it('creates a branch in an empty repository only when asked', async () => {
    const fresh = makeBareRepo(root, 'fresh');
    const request = {
      remote: { url: fresh },
      branch: 'main',
      author: { name: 'Gantry', email: 'gantry@example.com' },
      message: 'First commit',
      files: [{ path: 'README.md', content: 'hello\n' }],
    };
    await rejectsGit(git.commitAndPush(request), 'not-found', /branch main not found/);
    const created = await git.commitAndPush({ ...request, createBranch: true });
    assert.ok(created.pushed);
    assert.deepEqual(await git.listBranches({ url: fresh }), [{ name: 'main', commit: created.commit }]);
  });

  it('refuses bad commit requests before running anything', async () => {
    const base = {
      remote: { url: stacks },
      branch: 'main',
      author: { name: 'A', email: 'a@example.com' },
      message: 'm',
      files: [] as { path: string; content: string | null }[],
    };
    await rejectsGit(git.commitAndPush({ ...base, author: { name: 'A>', email: 'x' } }), 'invalid', /author/);
    await rejectsGit(git.commitAndPush({ ...base, message: ' ' }), 'invalid', /message/);
    await rejectsGit(git.commitAndPush({ ...base, files: [{ path: '.git/hooks/x', content: '' }] }), 'invalid');
    await rejectsGit(
      git.commitAndPush({
        ...base,
        files: [
          { path: 'a', content: '1' },
          { path: 'a', content: '2' },
        ],
      }),
      'invalid',
      /twice/,
    );
  });

  it('refuses local repositories when they are off, and URLs no policy accepts, with the rule', async () => {
    const off = createGit({
      dataDir,
      urlPolicy: { outbound: loopbackAllowedPolicy(), allowLocal: false },
      logger: recordingLogger(logs),
    });
    const error = await rejectsGit(
      off.listBranches({ url: stacks }),
      'refused',
      /rule "local".*GANTRY_GIT_ALLOW_LOCAL/,
    );
    assert.equal(error.status, 422);
    await rejectsGit(off.sync({ url: `file://${stacks}` }, 'main'), 'refused', /rule "local"/);
    const { dir } = await git.sync({ url: stacks }, 'main');
    await rejectsGit(git.listBranches({ url: dir }), 'refused', /rule "local".*data directory/);
    await rejectsGit(git.listBranches({ url: `file://${dataDir}/git/../git/repos` }), 'refused', /data directory/);
    await rejectsGit(git.listBranches({ url: 'ext::sh' }), 'refused', /rule "transport"/);
    await rejectsGit(git.listBranches({ url: '--upload-pack=touch' }), 'refused', /rule "option"/);
    await rejectsGit(git.listBranches({ url: 'https://169.254.169.254/x.git' }), 'refused', /rule "network"/);
    await rejectsGit(git.listBranches({ url: 'git@metadata.google.internal:x.git' }), 'refused', /rule "network"/);
    const denied = createGit({
      dataDir,
      urlPolicy: { outbound: parseOutboundPolicy('loopback'), allowLocal: false },
      logger: recordingLogger(logs),
      lookup: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    await rejectsGit(
      denied.listBranches({ url: 'https://git.example.com/x.git' }),
      'refused',
      /resolves to 127\.0\.0\.1/,
    );
    const unresolved = createGit({
      dataDir,
      urlPolicy: { outbound: loopbackAllowedPolicy(), allowLocal: false },
      logger: recordingLogger(logs),
      lookup: async () => [],
    });
    const gone = await rejectsGit(
      unresolved.listBranches({ url: 'https://git.example.com/x.git' }),
      'unreachable',
      /git\.example\.com could not be resolved \(ENOTFOUND\)/,
    );
    assert.equal(gone.status, 502);
    assert.ok(
      logs.some((l) => l.level === 'warn' && /rule "transport"/.test(l.message)),
      'refusals are logged',
    );
  });

  it('refuses a repository over the size limit, naming the size', async () => {
    const big = makeBareRepo(root, 'big', { main: { 'blob.bin': randomBytes(400 * 1024) } });
    const small = createGit({
      dataDir: join(root, 'small-data'),
      urlPolicy: { outbound: loopbackAllowedPolicy(), allowLocal: true },
      logger: recordingLogger(logs),
      maxRepoBytes: 100 * 1024,
    });
    const error = await rejectsGit(small.sync({ url: big }, 'main'), 'too-large', /larger than 0\.1 MB/);
    assert.match(error.message, /GANTRY_GIT_MAX_REPO_MB/);
    assert.equal(error.status, 422);
    assert.deepEqual(readdirSync(join(root, 'small-data', 'git', 'repos')), [], 'the partial fetch is removed');
    assert.ok((await small.sync({ url: stacks }, 'main')).commit);
  });

  it('refuses a file over the read limit', async () => {
    const limited = createGit({
      dataDir,
      urlPolicy: { outbound: loopbackAllowedPolicy(), allowLocal: true },
      logger: recordingLogger(logs),
      maxFileBytes: 4,
    });
    const { dir, commit } = await limited.sync({ url: stacks }, 'main');
    assert.equal((await limited.readFile(dir, commit, 'bin/blob')).length, 4);
    await rejectsGit(limited.readFile(dir, commit, 'README.md'), 'too-large', /larger than/);
  });

  it('stops a remote that does not answer at the time limit', async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const port = (silent.address() as { port: number }).port;
    try {
      const quick = createGit({
        dataDir,
        urlPolicy: { outbound: loopbackAllowedPolicy(), allowLocal: false },
        logger: recordingLogger(logs),
        timeoutMs: 800,
      });
      const started = Date.now();
      const error = await rejectsGit(quick.listBranches({ url: `https://127.0.0.1:${port}/x.git` }), 'timeout');
      assert.equal(error.status, 504);
      assert.ok(Date.now() - started < 8_000);
    } finally {
      silent.close();
    }
  });

  it('removes operation directories a stopped server left behind', async () => {
    const stale = join(dataDir, 'git', 'tmp', 'op-stale');
    mkdirSync(stale);
    writeFileSync(join(stale, 'id'), 'key');
    utimesSync(stale, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000));
    const fresh = createGit({
      dataDir,
      urlPolicy: { outbound: loopbackAllowedPolicy(), allowLocal: true },
      logger: recordingLogger(logs),
    });
    await fresh.listBranches({ url: stacks });
    assert.ok(!existsSync(stale));
  });

  it('leaves no temporary files behind', () => {
    assert.deepEqual(readdirSync(join(dataDir, 'git', 'tmp')), []);
  });

  it('reports whether git is installed, and fails clearly when it is not', async () => {
    assert.match(await checkGitAvailable(), /^\d+\.\d+/);
    await assert.rejects(checkGitAvailable('gantry-no-such-git'), /git was not found.*apt-get install git/);
    const fake = join(root, 'old-git');
    writeFileSync(fake, '#!/bin/sh\necho "git version 2.30.1"\n', { mode: 0o755 });
    await assert.rejects(checkGitAvailable(fake), /git 2\.30\.1 is too old: Gantry needs git 2\.37 or newer/);
    const missing = createGit({
      dataDir,
      urlPolicy: { outbound: loopbackAllowedPolicy(), allowLocal: true },
      logger: recordingLogger(logs),
      gitBinary: 'gantry-no-such-git',
    });
    const error = await rejectsGit(missing.listBranches({ url: stacks }), 'unavailable', /not installed/);
    assert.equal(error.status, 503);
  });
});

describe('git configuration', () => {
  it('allows local repositories by default on SQLite only, and reads the size limit', () => {
    const sqlite = loadConfig({ GANTRY_DATA_DIR: '/tmp/x' });
    assert.equal(sqlite.gitAllowLocal, true);
    assert.equal(sqlite.gitMaxRepoBytes, 200 * 1024 * 1024);
    const postgres = loadConfig({ GANTRY_DATABASE_URL: 'postgres://u:p@db/gantry' });
    assert.equal(postgres.gitAllowLocal, false);
    const set = loadConfig({
      GANTRY_DATABASE_URL: 'postgres://u:p@db/gantry',
      GANTRY_GIT_ALLOW_LOCAL: 'true',
      GANTRY_GIT_MAX_REPO_MB: '5',
    });
    assert.equal(set.gitAllowLocal, true);
    assert.equal(set.gitMaxRepoBytes, 5 * 1024 * 1024);
    assert.throws(() => loadConfig({ GANTRY_GIT_MAX_REPO_MB: '0' }), /GANTRY_GIT_MAX_REPO_MB must be between/);
    assert.throws(
      () => loadConfig({ GANTRY_GIT_ALLOW_LOCAL: 'maybe' }),
      /GANTRY_GIT_ALLOW_LOCAL must be true or false/,
    );
  });
});

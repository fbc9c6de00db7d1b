// Makes a checkout runnable: installs dependencies when they are missing or stale, then compiles
// TypeScript when the sources are newer than the build. Only Node's built-ins are used here, because
// it runs before anything is installed (npm runs it as the prestart/pretest step).
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const quiet = process.argv.includes('--quiet');
const say = (text) => quiet || process.stderr.write(`${text}\n`);

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`ensure-ready: '${command} ${args.join(' ')}' failed\n`);
    process.exit(result.status ?? 1);
  }
}

function newest(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  // A folder's own time changes when a file in it is removed or renamed: that needs a build too.
  let latest = info.mtimeMs;
  for (const name of readdirSync(path)) latest = Math.max(latest, newest(join(path, name)));
  return latest;
}

/**
 * `npx gantry …` runs `node_modules/.bin/gantry`, which npm does not create for the project's own
 * `bin`: link it here (npm runs this after every install, and before start and test). A node_modules
 * shared with another checkout (a link to it) is left alone: its `.bin` belongs to that checkout.
 */
function linkBin() {
  const modules = join(root, 'node_modules');
  if (!existsSync(modules) || lstatSync(modules).isSymbolicLink()) return;
  if (realpathSync(join(modules, '..')) !== realpathSync(root)) return;
  const dir = join(modules, '.bin');
  const link = join(dir, 'gantry');
  let present = false;
  try {
    lstatSync(link);
    present = true;
  } catch {}
  if (present) return;
  mkdirSync(dir, { recursive: true });
  try {
    symlinkSync(relative(dir, join(root, 'bin', 'gantry.js')), link);
  } catch (error) {
    say(`ensure-ready: could not link node_modules/.bin/gantry (${error.message}); use node bin/gantry.js`);
  }
}

if (process.argv.includes('--link-only')) {
  linkBin();
  process.exit(0);
}

const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
// A node_modules linked from another checkout (a git worktree sharing it) is that checkout's to
// install: reinstalling it from here would rewrite it under every process using it.
const sharedModules = existsSync(join(root, 'node_modules')) && lstatSync(join(root, 'node_modules')).isSymbolicLink();
if (
  !sharedModules &&
  (!existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs))
) {
  say('ensure-ready: installing dependencies (the first time takes a minute or two)...');
  run(npm, [existsSync(lock) ? 'ci' : 'install', '--no-audit', '--no-fund', '--loglevel=error']);
}

linkBin();

const entry = join(root, 'dist', 'main.js');
const sources = Math.max(newest(join(root, 'src')), statSync(join(root, 'package.json')).mtimeMs);
if (!existsSync(entry) || statSync(entry).mtimeMs < sources) {
  say('ensure-ready: compiling...');
  // A fresh dist/: a source removed or renamed since the last build must not live on as stale JavaScript
  // (the migrations folder is read as it is).
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
  const git = (args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim() || undefined;
  const info = { revision: git(['rev-parse', 'HEAD']), branch: git(['rev-parse', '--abbrev-ref', 'HEAD']) };
  writeFileSync(join(root, 'dist', 'build-info.json'), `${JSON.stringify(info)}\n`);
}

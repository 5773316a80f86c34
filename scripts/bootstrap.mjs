#!/usr/bin/env node
// Brings a clone to a runnable state: npm dependencies, the compiled CLI, the project-local
// Python virtualenv (cargo-lambda, zig, moto, cfn-lint), actionlint and the Rust crates.
//
// Plain JavaScript with no dependencies on purpose: it runs before `npm ci` has
// installed anything. Each step records a stamp (a hash of its inputs) and is skipped
// when the stamp still matches, so a second run takes milliseconds.
//
// Usage: node scripts/bootstrap.mjs [--force] [--quiet]

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');
const quiet = process.argv.includes('--quiet');

/** Versions pinned here and read by `ferrule doctor` through tooling/versions.json. */
const versions = JSON.parse(readFileSync(join(root, 'tooling/versions.json'), 'utf8'));

const log = (message) => {
  if (!quiet) process.stderr.write(`[setup] ${message}\n`);
};

function hashOf(...files) {
  const hash = createHash('sha256');
  for (const file of files) {
    const path = join(root, file);
    hash.update(file);
    hash.update(existsSync(path) ? readFileSync(path) : 'missing');
  }
  return hash.digest('hex');
}

function stampMatches(stampFile, hash) {
  return !force && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash;
}

function writeStamp(stampFile, hash) {
  mkdirSync(dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, hash);
}

/** Runs a command; output goes to our stderr so stdout stays clean for callers. */
function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: root,
      stdio: ['ignore', quiet ? 'ignore' : process.stderr, process.stderr],
      ...options,
    });
    child.on('error', (error) => reject(new Error(`${command}: ${error.message}`)));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`\`${command} ${args.join(' ')}\` exited with ${code}`)),
    );
  });
}

function capture(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', () => resolve(undefined));
    child.on('exit', (code) => resolve(code === 0 ? out.trim() : undefined));
  });
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 11)) {
    throw new Error(`Node.js ${process.versions.node} is too old: install Node.js 20.11 or later.`);
  }
}

async function npmDependencies() {
  const stamp = join(root, 'node_modules/.ferrule-stamp');
  const hash = hashOf(
    'package.json',
    'package-lock.json',
    'cli/package.json',
    'emulator/package.json',
    'infrastructure/package.json',
    'local-cloud/package.json',
    'toolchain/package.json',
  );
  if (stampMatches(stamp, hash)) return;
  const hasLock = existsSync(join(root, 'package-lock.json'));
  log(hasLock ? 'installing npm dependencies (npm ci)' : 'installing npm dependencies (npm install)');
  await run('npm', [hasLock ? 'ci' : 'install', '--no-audit', '--no-fund', '--loglevel=error']);
  writeStamp(stamp, hash);
}

async function findPython() {
  for (const candidate of ['python3.13', 'python3.12', 'python3.11', 'python3', 'python']) {
    const version = await capture(candidate, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']);
    if (!version) continue;
    const [major, minor] = version.split('.').map(Number);
    if (major === 3 && minor >= 11) return candidate;
  }
  throw new Error('Python 3.11 or later is required for the tool virtualenv: install python3.11+.');
}

async function pythonTools() {
  const venv = join(root, '.venv');
  const stamp = join(venv, '.ferrule-stamp');
  const hash = hashOf('tooling/requirements.txt');
  if (stampMatches(stamp, hash)) return;
  if (!existsSync(join(venv, 'bin/python'))) {
    const python = await findPython();
    log(`creating the tool virtualenv .venv with ${python}`);
    await run(python, ['-m', 'venv', venv]);
  }
  log('installing cargo-lambda, ziglang, moto and cfn-lint into .venv');
  await run(join(venv, 'bin/python'), [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    '-r',
    'tooling/requirements.txt',
  ]);
  writeStamp(stamp, hash);
}

async function actionlint() {
  const bin = join(root, '.tools/bin');
  const stamp = join(root, '.tools/.actionlint-stamp');
  const version = versions.actionlint;
  if (stampMatches(stamp, version) && existsSync(join(bin, 'actionlint'))) return;
  if (!(await capture('go', ['version']))) {
    log(`actionlint needs Go to build: install Go 1.22+ (skipped; workflow lint will report it)`);
    return;
  }
  log(`building actionlint ${version} with go install into .tools/bin`);
  await run('go', ['install', `github.com/rhysd/actionlint/cmd/actionlint@${version}`], {
    env: { ...process.env, GOBIN: bin },
  });
  writeStamp(stamp, version);
}

async function rustCrates() {
  const stamp = join(root, '.ferrule/cargo-fetch-stamp');
  const hash = hashOf('backend/Cargo.lock');
  if (stampMatches(stamp, hash)) return;
  if (!(await capture('cargo', ['--version']))) {
    throw new Error('Rust is required: install the stable toolchain with rustup (https://rustup.rs).');
  }
  log('fetching Rust crates (cargo fetch)');
  await run('cargo', ['fetch', '--locked', '--manifest-path', 'backend/Cargo.toml']);
  writeStamp(stamp, hash);
}

/**
 * Bundles the CLI into cli/dist so a command starts without compiling TypeScript first
 * (cli/bin/compiled.mjs; docs/architecture.md). Skipped while the bundle is current; a failure
 * only costs speed: the launcher then runs the sources.
 */
async function compiledCli() {
  const { compiledEntry, compileCli } = await import('../cli/bin/compiled.mjs');
  if (!force && compiledEntry()) return;
  try {
    const { ms } = await compileCli();
    log(`compiled the ferrule command into cli/dist (${ms} ms)`);
  } catch (error) {
    log(`could not compile the ferrule command (it runs from source): ${error.message}`);
  }
}

async function main() {
  checkNode();
  // The steps are independent, except the CLI bundle, which needs esbuild from npm: side by side.
  const results = await Promise.allSettled([
    npmDependencies().then(compiledCli),
    pythonTools(),
    actionlint(),
    rustCrates(),
  ]);
  const failures = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
  if (failures.length > 0) {
    for (const failure of failures) process.stderr.write(`[setup] failed: ${failure}\n`);
    process.stderr.write('[setup] run `npx ferrule doctor` for the fix of each missing tool.\n');
    process.exit(1);
  }
}

main().catch((error) => {
  process.stderr.write(`[setup] ${error.message}\n`);
  process.exit(1);
});

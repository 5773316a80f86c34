import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { artifactPath, defaultPlatform, listFunctions, projectRoot } from '@ferrule/toolchain/project';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadEvals, prepareCopy } from '../src/agent/evals.ts';
import { editedFile, formatAfterEdit } from '../src/agent/hooks.ts';
import { formatJson, GENERATED_MARKER, renderProjections } from '../src/agent/projections.ts';
import { loadSources } from '../src/agent/sources.ts';
import { checkProjections, describeCheck, syncProjections } from '../src/agent/sync.ts';
import { firstRustProblem, functionsToBuild, summarize } from '../src/agent/verify.ts';
import { changedFiles } from '../src/checks.ts';

const bin = join(projectRoot, 'cli/bin/ferrule.mjs');

/** A throwaway project: the markers the CLI looks for, and a copy of agent/. */
function scratchProject(): string {
  const root = mkdtempSync(join(tmpdir(), 'ferrule-agent-'));
  mkdirSync(join(root, 'backend'), { recursive: true });
  writeFileSync(join(root, 'backend/Cargo.toml'), '[workspace]\nmembers = []\n');
  writeFileSync(join(root, 'package.json'), '{ "name": "scratch", "private": true }\n');
  cpSync(join(projectRoot, 'agent'), join(root, 'agent'), { recursive: true });
  return root;
}

function cli(root: string, ...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...process.env, FERRULE_ROOT: root },
    encoding: 'utf8',
  });
}

describe('agent sources', () => {
  it('are all valid, with the skills and rules the issue asks for', () => {
    const { sources, problems } = loadSources();
    expect(problems).toEqual([]);
    expect(sources.rules.map((rule) => rule.id)).toEqual(
      expect.arrayContaining(['cdk', 'performance', 'rust-functions', 'security', 'testing']),
    );
    expect(sources.skills.map((skill) => skill.name)).toEqual(
      expect.arrayContaining([
        'add-function',
        'add-http-route',
        'declare-resource-use',
        'add-parameter',
        'add-secret',
        'add-metric-or-trace',
        'fix-bug-with-fixture',
      ]),
    );
    expect(sources.agents.map((agent) => agent.name)).toContain('ferrule-reviewer');
    expect(sources.hooks.map((hook) => hook.event).sort()).toEqual(['after-edit', 'before-stop']);
  });

  it('name only `npx ferrule` verbs that the CLI has', () => {
    const verbs = new Set([
      'agent',
      'build',
      'doctor',
      'events',
      'invoke',
      'mcp',
      'synth',
      'start',
      'verify',
    ]);
    const { sources } = loadSources();
    // Verbs from the scaffolder (issue 6) count only once they are registered.
    const help = cli(projectRoot, '--help').stdout;
    for (const verb of ['new', 'check', 'list'])
      if (new RegExp(`^\\s+${verb}\\b`, 'm').test(help)) verbs.add(verb);
    const texts = [...sources.rules, ...sources.skills, ...sources.agents, ...sources.hooks].map(
      (s) => s.body,
    );
    for (const text of texts) {
      for (const match of text.matchAll(/npx ferrule ([a-z-]+)/g)) expect(verbs).toContain(match[1]);
    }
  });
});

describe('agent projections in the repository', () => {
  it('are exactly what `agent sync` writes (agent check passes)', () => {
    const result = checkProjections();
    expect(describeCheck(result)).toBe('');
    expect(result.ok).toBe(true);
  });

  it('are deterministic, end with a newline and carry the generated-file header where the format allows', () => {
    const { sources } = loadSources();
    const first = renderProjections(sources);
    const second = renderProjections(loadSources().sources);
    expect([...first.entries()]).toEqual([...second.entries()]);
    expect([...first.keys()]).toEqual([...first.keys()].sort());
    for (const [path, content] of first) {
      expect(content.endsWith('\n') && !content.endsWith('\n\n'), path).toBe(true);
      if (path.endsWith('.json')) expect(() => JSON.parse(content), path).not.toThrow();
      else expect(content, path).toContain(GENERATED_MARKER);
    }
  });

  it('give every agent its own file, and register the MCP server where each agent reads it', () => {
    const files = renderProjections(loadSources().sources);
    for (const path of [
      'AGENTS.md',
      'CLAUDE.md',
      '.claude/settings.json',
      '.claude/agents/ferrule-reviewer.md',
      '.claude/skills/add-http-route/SKILL.md',
      '.cursor/rules/ferrule-security.mdc',
      '.github/copilot-instructions.md',
      '.github/instructions/ferrule-cdk.instructions.md',
      '.kiro/steering/ferrule-cdk.md',
      '.amazonq/rules/ferrule-security.md',
    ]) {
      expect(files.has(path), path).toBe(true);
    }
    expect(files.get('CLAUDE.md')).toContain('@AGENTS.md');
    expect(files.get('AGENTS.md')).toContain('Done means `npx ferrule verify` passes');
    const mcp = (path: string) => JSON.parse(files.get(path) ?? '{}');
    const server = { command: 'npx', args: ['--no', 'ferrule', 'mcp'] };
    expect(mcp('.mcp.json').mcpServers.ferrule).toMatchObject(server);
    expect(mcp('.cursor/mcp.json').mcpServers.ferrule).toMatchObject(server);
    expect(mcp('.vscode/mcp.json').servers.ferrule).toMatchObject({ type: 'stdio', ...server });
    expect(mcp('.kiro/settings/mcp.json').mcpServers.ferrule).toMatchObject(server);
    expect(mcp('.amazonq/mcp.json').mcpServers.ferrule).toMatchObject(server);
    expect(files.get('.cursor/rules/ferrule-security.mdc')).toMatch(
      /^---\ndescription: .+\nglobs: ""\nalwaysApply: true\n---\n/,
    );
    expect(files.get('.cursor/rules/ferrule-cdk.mdc')).toContain(
      'globs: "infrastructure/**/*.ts"\nalwaysApply: false',
    );
    expect(files.get('.github/instructions/ferrule-cdk.instructions.md')).toMatch(
      /^---\napplyTo: "infrastructure\/\*\*\/\*\.ts"\n---\n/,
    );
    expect(files.get('.kiro/steering/ferrule-cdk.md')).toMatch(
      /^---\ninclusion: "fileMatch"\nfileMatchPattern: "infrastructure\/\*\*\/\*\.ts"\n---\n/,
    );
  });

  it('allow the project commands, deny reading secrets, and wire both hooks for Claude Code', () => {
    const settings = JSON.parse(
      renderProjections(loadSources().sources).get('.claude/settings.json') ?? '{}',
    );
    expect(settings.permissions.allow).toEqual(
      expect.arrayContaining([
        'Bash(npx ferrule:*)',
        'Bash(npm test)',
        'Bash(cargo clippy:*)',
        'Bash(cargo test:*)',
      ]),
    );
    expect(settings.permissions.deny).toEqual(
      expect.arrayContaining(['Read(./.env)', 'Read(./.env.*)', 'Read(./**/secrets/**)']),
    );
    expect(settings.hooks.PostToolUse[0].matcher).toBe('Edit|MultiEdit|Write');
    expect(settings.hooks.PostToolUse[0].hooks[0].command).toContain(
      'npx ferrule agent hook format-after-edit',
    );
    expect(settings.hooks.Stop[0].hooks[0].command).toContain('npx ferrule agent hook verify-before-stop');
  });
});

describe('agent sync and check on a copy of agent/', () => {
  let root: string;
  beforeEach(() => {
    root = scratchProject();
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('sync writes everything, a second sync writes nothing, and check passes', () => {
    const first = syncProjections(root);
    expect(Array.isArray(first)).toBe(false);
    if (Array.isArray(first)) return;
    expect(first.written.length).toBeGreaterThan(20);
    const second = syncProjections(root);
    expect(second).toEqual({ written: [], deleted: [], unchanged: first.written.length });
    expect(checkProjections(root).ok).toBe(true);
  });

  it('a rule changed without sync fails `agent check` with a message that says to run sync', () => {
    syncProjections(root);
    const rule = join(root, 'agent/rules/security.md');
    writeFileSync(rule, `${readFileSync(rule, 'utf8')}\n- One more rule.\n`);
    const result = checkProjections(root);
    expect(result.ok).toBe(false);
    expect(result.differences).toContainEqual({
      path: '.cursor/rules/ferrule-security.mdc',
      kind: 'different',
    });
    const run = cli(root, 'agent', 'check');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('run `npx ferrule agent sync`');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(cli(root, 'agent', 'sync').status).toBe(0);
    expect(cli(root, 'agent', 'check').status).toBe(0);
  });

  it('an invalid skill frontmatter fails check and sync, naming the file and the field', () => {
    syncProjections(root);
    const skill = join(root, 'agent/skills/add-secret/SKILL.md');
    writeFileSync(skill, readFileSync(skill, 'utf8').replace('name: add-secret', 'name: Add Secret'));
    const result = checkProjections(root);
    expect(result.ok).toBe(false);
    expect(result.problems[0]?.path).toBe('agent/skills/add-secret/SKILL.md');
    expect(result.problems[0]?.message).toContain('name');
    const run = cli(root, 'agent', 'sync');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('agent/skills/add-secret/SKILL.md');

    const fixedName = readFileSync(skill, 'utf8').replace('name: Add Secret', 'name: add-secret');
    writeFileSync(skill, fixedName.replace(/\n## Verify\n[\s\S]*$/, '\n'));
    expect(checkProjections(root).problems[0]?.message).toContain('## Verify');
  });

  it('a removed rule’s projections are stale: check reports them, sync deletes only generated files', () => {
    syncProjections(root);
    rmSync(join(root, 'agent/rules/performance.md'));
    writeFileSync(join(root, '.cursor/rules/team-own.mdc'), '---\nalwaysApply: true\n---\nOur own rule.\n');
    expect(checkProjections(root).differences).toContainEqual({
      path: '.cursor/rules/ferrule-performance.mdc',
      kind: 'stale',
    });
    const result = syncProjections(root);
    expect(Array.isArray(result) ? [] : result.deleted).toContain('.kiro/steering/ferrule-performance.md');
    expect(existsSync(join(root, '.cursor/rules/ferrule-performance.mdc'))).toBe(false);
    expect(existsSync(join(root, '.cursor/rules/team-own.mdc'))).toBe(true);
    expect(checkProjections(root).ok).toBe(true);
  });
});

describe('skill evals', () => {
  it('run only commands their skill names, and their edits still apply to this tree', () => {
    const evals = loadEvals();
    expect(evals.map((evaluation) => evaluation.skill)).toEqual(
      expect.arrayContaining([
        'add-function',
        'add-http-route',
        'add-metric-or-trace',
        'add-parameter',
        'add-secret',
        'declare-resource-use',
        'fix-bug-with-fixture',
      ]),
    );
    for (const evaluation of evals) {
      const edited = new Map<string, string>();
      // Crates an earlier step scaffolds: their files come from the trigger's templates.
      const scaffolded = new Map<string, string>();
      for (const step of evaluation.steps) {
        const scaffold =
          'run' in step ? /^npx ferrule new function (\S+) --trigger (\S+)/.exec(step.run) : null;
        if (scaffold?.[1] && scaffold[2]) scaffolded.set(scaffold[1], scaffold[2]);
        if (!('replace' in step)) continue;
        const crate = /^backend\/functions\/([^/]+)\/(.+)$/.exec(step.replace);
        const template =
          crate?.[1] && crate[2] && scaffolded.has(crate[1])
            ? join(projectRoot, 'cli/templates/function', scaffolded.get(crate[1]) ?? '', crate[2])
            : undefined;
        const declaration = /^infrastructure\/functions\/([^/]+)\.ts$/.exec(step.replace)?.[1];
        if (!edited.has(step.replace) && declaration && scaffolded.has(declaration)) {
          // Rendered from code, not a template file: the eval run itself checks this edit.
          continue;
        }
        const text =
          edited.get(step.replace) ?? readFileSync(template ?? join(projectRoot, step.replace), 'utf8');
        expect(text.split(step.find).length - 1, `${evaluation.skill}: ${step.replace}`).toBe(1);
        edited.set(step.replace, text.replace(step.find, step.with));
      }
    }
  });
});

describe('the skill eval copy', () => {
  let root: string;
  let copy: string | undefined;

  beforeEach(() => {
    // A repository in miniature: a workspace package linked as npm links it, and a dependency.
    root = mkdtempSync(join(tmpdir(), 'ferrule-eval-root-'));
    mkdirSync(join(root, 'infrastructure/lib'), { recursive: true });
    writeFileSync(join(root, 'infrastructure/lib/index.ts'), 'export const stack = 1;\n');
    mkdirSync(join(root, 'node_modules/@ferrule'), { recursive: true });
    symlinkSync('../../infrastructure', join(root, 'node_modules/@ferrule/infrastructure'));
    mkdirSync(join(root, 'node_modules/zod'));
    writeFileSync(join(root, 'node_modules/zod/package.json'), '{"name":"zod"}\n');
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('resolves workspace packages to its own sources and dependencies to the installed ones', async () => {
    copy = await prepareCopy(root);
    // Twice: the second run finds the links of the first in place.
    expect(await prepareCopy(root)).toBe(copy);
    expect(realpathSync(join(copy, 'node_modules/@ferrule/infrastructure'))).toBe(
      realpathSync(join(copy, 'infrastructure')),
    );
    expect(realpathSync(join(copy, 'node_modules/zod'))).toBe(realpathSync(join(root, 'node_modules/zod')));
    expect(readFileSync(join(copy, 'node_modules/@ferrule/infrastructure/lib/index.ts'), 'utf8')).toContain(
      'stack',
    );
  });

  it('is a git checkout of its starting state, so verify follows only what the steps change', async () => {
    copy = await prepareCopy(root);
    expect(await changedFiles(copy)).toEqual([]);
    writeFileSync(join(copy, 'infrastructure/lib/index.ts'), 'export const stack = 2;\n');
    writeFileSync(join(copy, 'infrastructure/lib/added.ts'), 'export {};\n');
    expect(await changedFiles(copy)).toEqual(['infrastructure/lib/added.ts', 'infrastructure/lib/index.ts']);
    // The next run starts again from the repository's content, with no change.
    await prepareCopy(root);
    expect(await changedFiles(copy)).toEqual([]);
    expect(readFileSync(join(copy, 'infrastructure/lib/index.ts'), 'utf8')).toContain('stack = 1');
  });

  it("starts with the repository's artifacts, not those an earlier eval built", async () => {
    const artifact = 'dist/lambda/al2023-x86_64/hello-http/bootstrap.zip';
    mkdirSync(join(root, dirname(artifact)), { recursive: true });
    writeFileSync(join(root, artifact), 'built from the repository');
    writeFileSync(join(root, '.gitignore'), 'dist/\n');
    copy = await prepareCopy(root);
    expect(readFileSync(join(copy, artifact), 'utf8')).toBe('built from the repository');
    expect(await changedFiles(copy)).toEqual([]);
    // An eval rebuilt hello-http from its edit and built a function the repository has not.
    writeFileSync(join(copy, artifact), 'built from an edit');
    const added = 'dist/lambda/al2023-x86_64/added/bootstrap.zip';
    mkdirSync(join(copy, dirname(added)), { recursive: true });
    writeFileSync(join(copy, added), 'built from an edit');
    await prepareCopy(root);
    expect(readFileSync(join(copy, artifact), 'utf8')).toBe('built from the repository');
    expect(existsSync(join(copy, added))).toBe(false);
  });

  it('replaces a node_modules linked as a whole by an earlier copy, and drops packages no longer installed', async () => {
    copy = await prepareCopy(root);
    rmSync(join(copy, 'node_modules'), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
    rmSync(join(root, 'node_modules/zod'), { recursive: true });
    await prepareCopy(root);
    expect(realpathSync(join(copy, 'node_modules/@ferrule/infrastructure'))).toBe(
      realpathSync(join(copy, 'infrastructure')),
    );
    expect(existsSync(join(copy, 'node_modules/zod'))).toBe(false);
    // The repository's own node_modules is untouched.
    expect(realpathSync(join(root, 'node_modules/@ferrule/infrastructure'))).toBe(
      realpathSync(join(root, 'infrastructure')),
    );
  });
});

describe('formatJson', () => {
  it('keeps short arrays on one line and breaks long ones, like Biome', () => {
    const long = Array.from({ length: 12 }, (_, i) => `Read(./some/fairly/long/path/${i})`);
    const text = formatJson({ a: ['x', 'y'], b: long, c: {}, d: { e: 1 } });
    expect(text).toContain('"a": ["x", "y"]');
    expect(text).toContain('"b": [\n    "Read(./some/fairly/long/path/0)",');
    expect(JSON.parse(text)).toEqual({ a: ['x', 'y'], b: long, c: {}, d: { e: 1 } });
  });
});

describe('hooks', () => {
  it('format-after-edit formats an edited Rust file and ignores files outside the repository', () => {
    const root = scratchProject();
    try {
      cpSync(join(projectRoot, 'backend/rustfmt.toml'), join(root, 'backend/rustfmt.toml'));
      const file = join(root, 'backend/lib.rs');
      writeFileSync(file, 'pub fn   add(a:u32,b:u32)->u32{a+b}\n');
      const input = JSON.stringify({ tool_name: 'Edit', tool_input: { file_path: file } });
      expect(formatAfterEdit(input, root).exitCode).toBe(0);
      expect(readFileSync(file, 'utf8')).toBe('pub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n');
      expect(editedFile({ tool_input: { file_path: '/etc/passwd' } }, root)).toBeUndefined();
      expect(formatAfterEdit('not json', root).exitCode).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('verify report', () => {
  it('finds the first rustc diagnostic with its location, or the first failed test', () => {
    const clippy = [
      '    Checking hello-http v0.1.0',
      'error: unused variable: `x`',
      '  --> functions/hello-http/src/lib.rs:10:9',
      'error: could not compile `hello-http`',
    ].join('\n');
    expect(firstRustProblem(clippy)).toBe(
      'error: unused variable: `x` --> functions/hello-http/src/lib.rs:10:9',
    );
    const test = [
      'test tests::greets ... FAILED',
      "thread 'tests::greets' panicked at functions/hello-http/src/lib.rs:170:9:",
      'assertion `left == right` failed',
      'error: test failed, to rerun pass `-p hello-http --lib`',
    ].join('\n');
    expect(firstRustProblem(test)).toContain('test tests::greets ... FAILED');
    expect(firstRustProblem(test)).toContain('lib.rs:170:9');
  });

  it('summarizes with the first thing to fix', () => {
    const text = summarize({
      ok: false,
      quick: true,
      steps: [
        { id: 'rustfmt', title: 'cargo fmt --check', status: 'pass', durationMs: 100 },
        {
          id: 'clippy',
          title: 'cargo clippy -D warnings',
          status: 'fail',
          durationMs: 2000,
          detail: 'error: x',
          fix: 'fix it',
        },
      ],
      firstFailure: {
        id: 'clippy',
        title: 'cargo clippy -D warnings',
        status: 'fail',
        durationMs: 2000,
        detail: 'error: x',
        fix: 'fix it',
      },
    });
    expect(text).toContain('FAIL cargo clippy -D warnings');
    expect(text).toContain('First thing to fix (cargo clippy -D warnings): error: x');
    expect(text).toContain('--quick');
  });

  it('builds the functions the change reaches and those not built yet, not the others', async () => {
    const all = (await listFunctions()).map((fn) => fn.name);
    expect(all).toEqual(expect.arrayContaining(['hello-http', 'orders-api']));
    const built = new Set(
      all.filter((name) => name !== 'orders-stream').map((name) => artifactPath(name, defaultPlatform)),
    );
    const exists = (path: string) => built.has(path);
    // hello-http is reached; orders-stream has no artifact; the rest are built and not reached.
    expect(await functionsToBuild(['ferrule-http', 'hello-http'], exists)).toEqual([
      'hello-http',
      'orders-stream',
    ]);
    expect(await functionsToBuild([], () => true)).toEqual([]);
    // Change unknown (no git, or the workspace manifest changed): every function.
    expect(await functionsToBuild(undefined, () => true)).toEqual(all);
  });

  it('names what a passing step covered, and why a step was skipped', () => {
    const text = summarize({
      ok: true,
      quick: false,
      steps: [
        { id: 'build', title: 'build', status: 'pass', durationMs: 45_000, detail: 'built hello-http' },
        { id: 'tsc', title: 'tsc', status: 'skip', durationMs: 0, detail: 'skipped: nothing changed' },
      ],
    });
    expect(text).toContain('PASS build (45.0 s): built hello-http');
    expect(text).toContain('SKIP tsc (0.0 s): nothing changed');
  });
});

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compareVersions } from '@ferrule/toolchain/glibc';
import { paths, projectRoot, toolEnvironment } from '@ferrule/toolchain/project';
import { table } from '../format.ts';

const execFileAsync = promisify(execFile);

interface Check {
  readonly tool: string;
  /** Command and arguments that print the version. */
  readonly probe: readonly [string, ...string[]];
  /** Extracts the version from the probe's output. */
  readonly version?: RegExp;
  /** Oldest version that works, or the exact pin. */
  readonly minimum?: string;
  readonly exact?: string;
  /** What to run when it is missing or too old. */
  readonly fix: string;
  /** Optional tools only warn. */
  readonly optional?: boolean;
  readonly why: string;
}

export interface CheckResult {
  readonly tool: string;
  readonly status: 'ok' | 'missing' | 'outdated' | 'optional-missing';
  readonly version?: string;
  readonly required: string;
  readonly fix?: string;
  readonly why: string;
}

function pins(): { versions: Record<string, string>; python: Record<string, string> } {
  const versions = JSON.parse(readFileSync(join(projectRoot, 'tooling/versions.json'), 'utf8')) as Record<
    string,
    string
  >;
  const python: Record<string, string> = {};
  for (const line of readFileSync(join(projectRoot, 'tooling/requirements.txt'), 'utf8').split('\n')) {
    const match = /^([a-z-]+)(?:\[[a-z]+\])?==([\w.]+)/.exec(line.trim());
    if (match?.[1] && match[2]) python[match[1]] = match[2];
  }
  return { versions, python };
}

export function checks(): Check[] {
  const { versions, python } = pins();
  const venv = (bin: string) => join(paths.venvBin, bin);
  const setup = 'npm run setup';
  return [
    {
      tool: 'node',
      probe: ['node', '--version'],
      minimum: versions.node,
      fix: 'install Node.js 20.11+ (e.g. `nvm install 20`)',
      why: 'CLI, CDK, emulator',
    },
    {
      tool: 'npm',
      probe: ['npm', '--version'],
      minimum: '10.0.0',
      fix: 'npm install -g npm@latest',
      why: 'workspaces',
    },
    {
      tool: 'rustc',
      probe: ['rustc', '--version'],
      minimum: versions.rust,
      fix: 'rustup update stable (or install from https://rustup.rs)',
      why: 'compiles the functions',
    },
    {
      tool: 'cargo',
      probe: ['cargo', '--version'],
      minimum: versions.rust,
      fix: 'rustup update stable',
      why: 'builds',
    },
    {
      tool: 'rustfmt',
      probe: ['cargo', 'fmt', '--version'],
      fix: 'rustup component add rustfmt',
      why: 'format check in npm test',
    },
    {
      tool: 'clippy',
      probe: ['cargo', 'clippy', '--version'],
      fix: 'rustup component add clippy',
      why: 'lint in npm test',
    },
    {
      tool: 'target aarch64-unknown-linux-gnu',
      probe: ['rustc', '--print', 'target-libdir', '--target', 'aarch64-unknown-linux-gnu'],
      version: /(aarch64-unknown-linux-gnu)/,
      fix: 'rustup target add aarch64-unknown-linux-gnu',
      optional: true,
      why: 'only for --arch arm64 builds',
    },
    {
      tool: 'python',
      probe: ['python3', '--version'],
      minimum: versions.python,
      fix: 'install Python 3.11+ (python3.11 and python3.11-venv)',
      why: 'hosts the tool virtualenv',
    },
    {
      tool: 'cargo-lambda',
      probe: [venv('cargo-lambda'), 'lambda', '--version'],
      exact: python['cargo-lambda'],
      fix: setup,
      why: 'builds Lambda zips (.venv)',
    },
    {
      tool: 'zig',
      probe: [venv('python'), '-m', 'ziglang', 'version'],
      exact: python.ziglang,
      fix: setup,
      why: 'links against Lambda glibc (.venv)',
    },
    {
      tool: 'moto',
      probe: [venv('python'), '-c', 'import moto; print(moto.__version__)'],
      exact: python.moto,
      fix: setup,
      why: 'AWS endpoint for tests (.venv)',
    },
    {
      tool: 'cfn-lint',
      probe: [venv('cfn-lint'), '--version'],
      exact: python['cfn-lint'],
      fix: setup,
      why: 'lints synthesized templates (.venv)',
    },
    {
      tool: 'go',
      probe: ['go', 'version'],
      minimum: versions.go,
      fix: 'install Go 1.22+ (https://go.dev/dl)',
      why: 'builds actionlint',
    },
    {
      tool: 'actionlint',
      probe: [join(paths.toolsBin, 'actionlint'), '-version'],
      exact: versions.actionlint?.replace(/^v/, ''),
      fix: `${setup} (needs Go)`,
      why: 'lints .github/workflows',
    },
    {
      tool: 'objdump',
      probe: ['objdump', '--version'],
      version: /(\d+\.\d+(?:\.\d+)?)\s*$/m,
      fix: 'install binutils (e.g. `sudo apt-get install binutils`)',
      why: 'glibc check of artifacts',
    },
    {
      tool: 'docker',
      probe: ['docker', 'info', '--format', '{{.ServerVersion}}'],
      version: /(\d+\.\d+\.\d+)/,
      fix: 'not needed: builds use zig and synth needs no Docker',
      optional: true,
      why: 'never required',
    },
  ];
}

async function probe(check: Check): Promise<CheckResult> {
  const required = check.exact ? `= ${check.exact}` : check.minimum ? `>= ${check.minimum}` : 'any';
  const [command, ...args] = check.probe;
  let output: string;
  try {
    const { stdout, stderr } = await execFileAsync(command, args, {
      env: toolEnvironment(),
      timeout: 20_000,
    });
    output = `${stdout}\n${stderr}`;
  } catch {
    return {
      tool: check.tool,
      status: check.optional ? 'optional-missing' : 'missing',
      required,
      fix: check.fix,
      why: check.why,
    };
  }
  const version = (check.version ?? /(\d+\.\d+\.\d+)/).exec(output)?.[1];
  const outdated =
    version !== undefined &&
    ((check.exact !== undefined && version !== check.exact) ||
      (check.minimum !== undefined && compareVersions(version, check.minimum) < 0));
  return {
    tool: check.tool,
    status: outdated ? 'outdated' : 'ok',
    version,
    required,
    fix: outdated ? check.fix : undefined,
    why: check.why,
  };
}

export async function runDoctor(): Promise<CheckResult[]> {
  return Promise.all(checks().map(probe));
}

const marks: Record<CheckResult['status'], string> = {
  ok: 'ok',
  missing: 'MISSING',
  outdated: 'WRONG VERSION',
  'optional-missing': 'absent (optional)',
};

/** `ferrule doctor`: the table (or JSON) of every tool; exit code 1 when a required one is missing. */
export async function doctorCommand(flags: { json?: boolean }): Promise<void> {
  const results = await runDoctor();
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    const rows = results.map((r) => [
      r.tool,
      marks[r.status],
      r.version ?? '-',
      r.required,
      r.why,
      r.fix ?? '',
    ]);
    process.stdout.write(`${table(['tool', 'status', 'version', 'required', 'used for', 'fix'], rows)}\n`);
  }
  const broken = results.filter((r) => r.status === 'missing' || r.status === 'outdated');
  if (!flags.json) {
    process.stdout.write(
      broken.length === 0
        ? '\nall required tools are ready\n'
        : `\n${broken.length} to fix (see the fix column)\n`,
    );
  }
  process.exitCode = broken.length === 0 ? 0 : 1;
}

// `ferrule events new`, run against a throwaway project (FERRULE_ROOT) so the real
// backend/events/ is never written.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '@ferrule/toolchain/project';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureNameProblem, SKELETONS } from '../src/events-new.ts';
import { runFerrule } from './run-ferrule.ts';

let root: string;

const ferrule = (...args: string[]) => runFerrule(args, { root, env: { NO_COLOR: '1' } });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ferrule-events-'));
  writeFileSync(join(root, 'package.json'), '{}');
  mkdirSync(join(root, 'backend/events/sqs'), { recursive: true });
  writeFileSync(join(root, 'backend/Cargo.toml'), '[workspace]\n');
  for (const variant of ['standard', 'fifo']) {
    copyFileSync(
      join(projectRoot, `backend/events/sqs/${variant}.json`),
      join(root, `backend/events/sqs/${variant}.json`),
    );
  }
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('ferrule events new', () => {
  it('copies the typical fixture of the source and prints the result as JSON', () => {
    const run = ferrule('events', 'new', 'sqs', 'payment-received', '--json');
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(Object.keys(result).sort()).toEqual(['content', 'dryRun', 'fixture', 'from', 'path', 'written']);
    expect(result).toMatchObject({
      fixture: 'sqs/payment-received',
      path: 'backend/events/sqs/payment-received.json',
      from: 'sqs/standard',
      dryRun: false,
      written: true,
    });
    const written = readFileSync(join(root, 'backend/events/sqs/payment-received.json'), 'utf8');
    expect(written).toBe(readFileSync(join(root, 'backend/events/sqs/standard.json'), 'utf8'));
    expect(result.content).toBe(written);
    // The new fixture is listed like any other.
    expect(ferrule('events', 'sqs').stdout).toContain('sqs/payment-received');
  });

  it('copies the variant named by --from', () => {
    const run = ferrule('events', 'new', 'sqs', 'fifo-copy', '--from', 'fifo');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^wrote backend\/events\/sqs\/fifo-copy\.json \(from sqs\/fifo\)/);
    expect(JSON.parse(readFileSync(join(root, 'backend/events/sqs/fifo-copy.json'), 'utf8'))).toEqual(
      JSON.parse(readFileSync(join(root, 'backend/events/sqs/fifo.json'), 'utf8')),
    );
  });

  it('starts a source without fixtures from its built-in skeleton, and picks a free default name', () => {
    const first = ferrule('events', 'new', 's3', '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ fixture: 's3/new', from: 'built-in' });
    expect(JSON.parse(readFileSync(join(root, 'backend/events/s3/new.json'), 'utf8'))).toEqual(SKELETONS.s3);
    const second = ferrule('events', 'new', 's3', '--json');
    expect(JSON.parse(second.stdout)).toMatchObject({ fixture: 's3/new-2' });
  });

  it('--dry-run prints the path and content and writes nothing', () => {
    const run = ferrule('events', 'new', 'sqs', 'later', '--dry-run');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^would write backend\/events\/sqs\/later\.json \(from sqs\/standard\); nothing written/,
    );
    expect(run.stdout).toContain('"eventSource": "aws:sqs"');
    expect(existsSync(join(root, 'backend/events/sqs/later.json'))).toBe(false);
    const json = JSON.parse(ferrule('events', 'new', 'sqs', 'later', '--dry-run', '--json').stdout);
    expect(json).toMatchObject({ dryRun: true, written: false });
  });

  it('never overwrites a fixture (exit 2, file unchanged)', () => {
    const path = join(root, 'backend/events/sqs/standard.json');
    writeFileSync(path, '{"edited": true}\n');
    const run = ferrule('events', 'new', 'sqs', 'standard', '--from', 'fifo');
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      'ferrule: error: backend/events/sqs/standard.json already exists and is never overwritten; choose another name (existing: fifo, standard)',
    );
    expect(readFileSync(path, 'utf8')).toBe('{"edited": true}\n');
  });

  it('refuses bad names, unknown sources and unknown --from variants with what is allowed (exit 2)', () => {
    for (const [args, message] of [
      [['sqs', 'Payment_Received'], /invalid fixture name `Payment_Received`: it must be lowercase letters/],
      [['sqs', '../escape'], /invalid fixture name `..\/escape`/],
      [['Sqs', 'x'], /invalid source `Sqs`/],
      [
        ['carrier-pigeon', 'x'],
        /no fixtures and no skeleton for source `carrier-pigeon`; the sources are: .*s3.*sqs/,
      ],
      [
        ['sqs', 'x', '--from', 'nope'],
        /no fixture `sqs\/nope` to copy; the fixtures of sqs are: fifo, standard/,
      ],
    ] as const) {
      const run = ferrule('events', 'new', ...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    }
    expect(existsSync(join(root, 'backend/events/carrier-pigeon'))).toBe(false);
  });

  it('validates names like the folders of backend/events/', () => {
    expect(fixtureNameProblem('order-placed-eu')).toBeUndefined();
    expect(fixtureNameProblem('v2')).toBeUndefined();
    expect(fixtureNameProblem('2fast')).toMatch(/lowercase letters/);
    expect(fixtureNameProblem('double--hyphen')).toMatch(/single hyphens/);
    expect(fixtureNameProblem('')).toBe('it is empty');
    expect(fixtureNameProblem('a'.repeat(65))).toMatch(/64/);
  });

  it('keeps every built-in skeleton valid JSON with the shape of its source', () => {
    for (const [source, skeleton] of Object.entries(SKELETONS)) {
      expect(JSON.parse(JSON.stringify(skeleton)), source).toEqual(skeleton);
    }
    expect((SKELETONS.sqs as { Records: { eventSource: string }[] }).Records[0]?.eventSource).toBe('aws:sqs');
  });
});

describe('ferrule events --json', () => {
  it('lists the fixtures with source and path', () => {
    const run = ferrule('events', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      { name: 'sqs/fifo', source: 'sqs', path: 'backend/events/sqs/fifo.json' },
      { name: 'sqs/standard', source: 'sqs', path: 'backend/events/sqs/standard.json' },
    ]);
  });
});

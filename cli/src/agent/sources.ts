import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '@ferrule/toolchain/project';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** The folder holding the tool-neutral sources every projection is made from. */
export function agentDir(root: string = projectRoot): string {
  return join(root, 'agent');
}

export interface Rule {
  /** File name without `.md`: `security`, `cdk`. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** Files the rule is about; empty means it always applies. */
  readonly globs: readonly string[];
  /** Markdown after the frontmatter, trimmed. */
  readonly body: string;
  readonly path: string;
}

export interface Skill {
  readonly name: string;
  readonly description: string;
  /** Frontmatter as written, kept for the Claude Code projection (Agent Skills format). */
  readonly frontmatter: string;
  readonly body: string;
  readonly path: string;
}

export interface AgentDefinition {
  readonly name: string;
  readonly description: string;
  readonly frontmatter: string;
  readonly body: string;
  readonly path: string;
}

export interface HookDefinition {
  readonly name: string;
  /** Tool-neutral moment: after an edit, or before the agent ends its turn. */
  readonly event: 'after-edit' | 'before-stop';
  readonly command: string;
  /** Seconds. */
  readonly timeout: number;
  readonly body: string;
  readonly path: string;
}

export interface AgentSources {
  readonly rules: readonly Rule[];
  readonly skills: readonly Skill[];
  readonly agents: readonly AgentDefinition[];
  readonly hooks: readonly HookDefinition[];
}

/** A source file that cannot be projected: where, and what to change. */
export interface SourceProblem {
  readonly path: string;
  readonly message: string;
}

const ruleSchema = z.strictObject({
  title: z.string().min(1),
  description: z.string().min(1).max(300),
  globs: z.array(z.string().min(1)).default([]),
});

// The Agent Skills format: `name` (lowercase letters, digits and hyphens, at most 64
// characters, equal to the folder name) and `description` (at most 1024 characters) are
// required; `license`, `compatibility`, `metadata` and `allowed-tools` are optional.
const skillSchema = z.strictObject({
  name: z
    .string()
    .max(64)
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lowercase letters, digits and single hyphens'),
  description: z.string().min(1).max(1024),
  license: z.string().optional(),
  compatibility: z.string().max(500).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  'allowed-tools': z.string().optional(),
});

const agentSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  description: z.string().min(1).max(1024),
  tools: z.string().optional(),
});

const hookSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  event: z.enum(['after-edit', 'before-stop']),
  command: z.string().startsWith('npx ferrule '),
  timeout: z.number().int().positive().max(3600),
});

/** Sections every skill must have, so an agent always finds the steps, commands and check. */
const SKILL_SECTIONS = ['## Steps', '## Commands', '## Verify'] as const;

interface Split {
  readonly frontmatter: string;
  readonly data: unknown;
  readonly body: string;
}

function splitFrontmatter(text: string): Split | string {
  const match = /^---\n([\s\S]*?)\n---\n?/.exec(text.replace(/\r\n/g, '\n'));
  if (!match) return 'no YAML frontmatter: the file must start with `---`, the fields, and `---`';
  const frontmatter = match[1] ?? '';
  try {
    return {
      frontmatter,
      data: parseYaml(frontmatter) ?? {},
      body: text.replace(/\r\n/g, '\n').slice(match[0].length).trim(),
    };
  } catch (error) {
    return `frontmatter is not valid YAML: ${(error as Error).message.split('\n')[0]}`;
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'frontmatter'}: ${issue.message}`).join('; ');
}

function markdownFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.md') && file !== 'README.md')
    .sort();
}

/**
 * Reads agent/ and validates every source. Problems are collected, not thrown, so
 * `agent check` reports all of them at once.
 */
export function loadSources(root: string = projectRoot): {
  sources: AgentSources;
  problems: SourceProblem[];
} {
  const dir = agentDir(root);
  const problems: SourceProblem[] = [];
  const rel = (...parts: string[]) => join('agent', ...parts);

  const rules: Rule[] = [];
  for (const file of markdownFiles(join(dir, 'rules'))) {
    const path = rel('rules', file);
    const split = splitFrontmatter(readFileSync(join(root, path), 'utf8'));
    if (typeof split === 'string') {
      problems.push({ path, message: split });
      continue;
    }
    const parsed = ruleSchema.safeParse(split.data);
    if (!parsed.success) {
      problems.push({ path, message: describeIssues(parsed.error) });
      continue;
    }
    rules.push({ id: file.slice(0, -'.md'.length), ...parsed.data, body: split.body, path });
  }

  const skills: Skill[] = [];
  const skillsDir = join(dir, 'skills');
  const skillFolders = existsSync(skillsDir)
    ? readdirSync(skillsDir)
        .filter((name) => statSync(join(skillsDir, name)).isDirectory())
        .sort()
    : [];
  for (const folder of skillFolders) {
    const path = rel('skills', folder, 'SKILL.md');
    if (!existsSync(join(root, path))) {
      problems.push({ path, message: 'missing: every skill folder holds a SKILL.md' });
      continue;
    }
    const split = splitFrontmatter(readFileSync(join(root, path), 'utf8'));
    if (typeof split === 'string') {
      problems.push({ path, message: split });
      continue;
    }
    const parsed = skillSchema.safeParse(split.data);
    if (!parsed.success) {
      problems.push({ path, message: describeIssues(parsed.error) });
      continue;
    }
    if (parsed.data.name !== folder) {
      problems.push({
        path,
        message: `name \`${parsed.data.name}\` must equal the folder name \`${folder}\``,
      });
      continue;
    }
    const missing = SKILL_SECTIONS.filter((section) => !split.body.includes(`\n${section}\n`));
    if (missing.length > 0) {
      problems.push({ path, message: `missing section(s): ${missing.join(', ')}` });
      continue;
    }
    if (!split.body.includes('npx ferrule verify')) {
      problems.push({ path, message: 'the Verify section must end with `npx ferrule verify`' });
      continue;
    }
    skills.push({
      name: parsed.data.name,
      description: parsed.data.description,
      frontmatter: split.frontmatter,
      body: split.body,
      path,
    });
  }

  const agents: AgentDefinition[] = [];
  for (const file of markdownFiles(join(dir, 'agents'))) {
    const path = rel('agents', file);
    const split = splitFrontmatter(readFileSync(join(root, path), 'utf8'));
    if (typeof split === 'string') {
      problems.push({ path, message: split });
      continue;
    }
    const parsed = agentSchema.safeParse(split.data);
    if (!parsed.success) {
      problems.push({ path, message: describeIssues(parsed.error) });
      continue;
    }
    agents.push({ ...parsed.data, frontmatter: split.frontmatter, body: split.body, path });
  }

  const hooks: HookDefinition[] = [];
  for (const file of markdownFiles(join(dir, 'hooks'))) {
    const path = rel('hooks', file);
    const split = splitFrontmatter(readFileSync(join(root, path), 'utf8'));
    if (typeof split === 'string') {
      problems.push({ path, message: split });
      continue;
    }
    const parsed = hookSchema.safeParse(split.data);
    if (!parsed.success) {
      problems.push({ path, message: describeIssues(parsed.error) });
      continue;
    }
    hooks.push({ ...parsed.data, body: split.body, path });
  }

  return { sources: { rules, skills, agents, hooks }, problems };
}

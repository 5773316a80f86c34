import {
  type CfnResource,
  type PolicyValidationPluginReport,
  type PolicyViolation,
  Validations,
} from 'aws-cdk-lib';
import { NagMessageLevel, NagPack, type NagPackProps } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { RULES } from './private/rules.ts';
import { TemplateIndex } from './private/template.ts';

/** The pack name: every finding is reported as `ADR002-<rule>` (or `ADR002-<rule>[<finding>]`). */
export const ADR002_PACK = 'ADR002';

/** Acknowledgements of ADR-002 rules need a reason at least this long. */
export const MIN_REASON_LENGTH = 10;

/** What one ADR-002 rule checks (for documentation and tooling). */
export interface Adr002Rule {
  /** Full rule id, e.g. `ADR002-ActiveTracing`. */
  readonly id: string;
  /** What is wrong and how to fix it (the text of a finding). */
  readonly info: string;
  /** Why the rule exists. */
  readonly explanation: string;
}

/** Every rule of the pack, with the acknowledgement rule last. */
export const ADR002_RULES: readonly Adr002Rule[] = [
  ...RULES.map(({ id, info, explanation }) => ({ id: `${ADR002_PACK}-${id}`, info, explanation })),
  {
    id: `${ADR002_PACK}-AcknowledgementReason`,
    info:
      `An ADR-002 rule is acknowledged without a written reason (at least ${MIN_REASON_LENGTH} characters). ` +
      'Fix: say why the exception is safe in Validations.of(construct).acknowledge({ id, reason }).',
    explanation:
      'An acknowledgement is a reviewed exception to the platform decision; the reason is the review record.',
  },
];

/**
 * The ADR-002 rule pack for cdk-nag v3: every Lambda function is a Rust `bootstrap`
 * on an OS-only runtime with its own least-privilege role, active tracing, JSON logs,
 * a zip or image artifact, no secrets in its environment and a timeout below the
 * maximum; its SQS, DynamoDB/Kinesis and EventBridge sources handle failures.
 *
 * Register it on the app: `Validations.of(app).addPlugins(new Adr002Checks(app))`.
 * Findings are errors, so `cdk synth` fails on them; acknowledge a reviewed exception
 * with `Validations.of(construct).acknowledge({ id: 'ADR002-JsonLogs', reason: '...' })`
 * (granular findings by their full id, e.g. `ADR002-NoWildcardPermissions[Action::s3:*]`;
 * the `ADR002::ADR002-JsonLogs` form that CDK's report suggests works during synthesis too).
 */
export class Adr002Checks extends NagPack {
  public readonly name = ADR002_PACK;
  public override readonly ruleIds = ADR002_RULES.map((r) => r.id);
  private index = new TemplateIndex();

  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = ADR002_PACK;
  }

  public override validateScope(scope: IConstruct): PolicyValidationPluginReport {
    this.index = new TemplateIndex();
    const report = super.validateScope(scope);
    const violations = [...report.violations, ...unexplainedAcknowledgements(scope)];
    return { success: violations.length === 0, violations };
  }

  protected checkResource(node: CfnResource): void {
    const rendered = this.index.get(node);
    for (const rule of RULES) {
      if (!rule.types.includes(rendered.type)) continue;
      this.applyRule({
        ruleSuffixOverride: rule.id,
        info: rule.info,
        explanation: rule.explanation,
        level: NagMessageLevel.ERROR,
        node,
        rule: () => rule.check(rendered, this.index),
      });
    }
  }
}

/** Acknowledgements of ADR002 rules whose reason is blank or a token gesture. */
function unexplainedAcknowledgements(scope: IConstruct): PolicyViolation[] {
  const paths: string[] = [];
  for (const construct of scope.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const [qualified, reason] of Object.entries(entry.data as Record<string, unknown>)) {
        // aws-cdk-lib records an unprefixed id as `Annotation::ADR002-...`; the id its report
        // suggests is namespaced by the plugin name: `ADR002::ADR002-...`.
        const id = qualified.replace(new RegExp(`^(annotation|${ADR002_PACK})::`, 'i'), '');
        if (id.startsWith(`${ADR002_PACK}-`) && String(reason ?? '').trim().length < MIN_REASON_LENGTH) {
          paths.push(construct.node.path);
        }
      }
    }
  }
  if (paths.length === 0) return [];
  const rule = ADR002_RULES[ADR002_RULES.length - 1] as Adr002Rule;
  return [
    {
      ruleName: rule.id,
      description: rule.info,
      severity: 'error',
      violatingResources: [...new Set(paths)].map((constructPath) => ({ constructPath, locations: [] })),
    },
  ];
}

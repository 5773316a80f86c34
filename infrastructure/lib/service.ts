import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct, type IConstruct } from 'constructs';

/** Deployment stages. `prod` retains data (tables, secrets) and protects tables from deletion. */
export type Stage = 'dev' | 'prod';
export const STAGES: readonly Stage[] = ['dev', 'prod'];

/** The stage from `explicit`, else context `ferrule:stage`, else `dev`; anything else fails. */
export function resolveStage(scope: IConstruct, explicit?: string): Stage {
  const value: unknown = explicit ?? scope.node.tryGetContext('ferrule:stage') ?? 'dev';
  if (!STAGES.includes(value as Stage)) {
    const where = explicit !== undefined ? 'stage' : 'context ferrule:stage';
    throw new Error(`${where} must be one of ${STAGES.join(', ')}, not "${String(value)}"`);
  }
  return value as Stage;
}

export interface FerruleServiceProps {
  /**
   * Service name: logs' and metrics' `service`, the SSM path and secret name prefix, the dashboard name.
   * Lowercase kebab-case.
   */
  readonly serviceName: string;
  /**
   * @default context `ferrule:stage`, else 'dev'
   */
  readonly stage?: Stage;
  /**
   * CloudWatch namespace of the service's EMF metrics (`FERRULE_METRICS_NAMESPACE`,
   * `POWERTOOLS_METRICS_NAMESPACE`; ferrule-metrics refuses to start without one).
   * @default the service name, so one service's metrics group together whatever function emits them
   */
  readonly metricsNamespace?: string;
  /**
   * Topic every alarm of the service notifies (functions, DLQs, stream iterator age).
   * @default - alarms are created without actions; they still show on the dashboard
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * @default `<serviceName>-<stage>`
   */
  readonly dashboardName?: string;
}

export interface ParameterOptions {
  /** Name below `/<service>/<stage>/`, for example `max-items`. */
  readonly name: string;
  readonly value: string;
  /** @default - none */
  readonly description?: string;
}

export interface SecretOptions {
  /** Name below `<service>/<stage>/`, for example `shipping`. */
  readonly name: string;
  /** @default - none */
  readonly description?: string;
  /**
   * How the initial value is generated (never put a secret value in code).
   * @default a random 32-character string
   */
  readonly generateSecretString?: secretsmanager.SecretStringGenerator;
  /**
   * Customer-managed key; functions declaring the secret then get `kms:Decrypt` on it.
   * @default the AWS managed key `aws/secretsmanager`
   */
  readonly encryptionKey?: kms.IKey;
}

const registry = new WeakMap<Stack, FerruleService[]>();

/**
 * A service in one stage: the name and namespace its functions log and emit metrics
 * under, its configuration paths (`/<service>/<stage>/<name>` parameters,
 * `<service>/<stage>/<name>` secrets), its one dashboard and its alarms (all notifying
 * `alarmTopic` when given). Every Ferrule construct of a stack attaches to it.
 */
export class FerruleService extends Construct {
  /**
   * The stack's service: the one declared in it, or (when there is none) one created on
   * first use, named from context `ferrule:service` or else after the stack's id.
   */
  static of(scope: IConstruct): FerruleService {
    const stack = Stack.of(scope);
    const services = registry.get(stack) ?? [];
    if (services.length > 1) {
      throw new Error(
        `stack ${stack.node.id} has ${services.length} FerruleServices (${services.map((s) => s.serviceName).join(', ')}); pass \`service\` to say which one a construct belongs to`,
      );
    }
    if (services[0]) return services[0];
    const fromContext = scope.node.tryGetContext('ferrule:service') as unknown;
    const serviceName = typeof fromContext === 'string' ? fromContext : kebab(stack.node.id);
    return new FerruleService(stack, 'FerruleService', { serviceName });
  }

  readonly serviceName: string;
  readonly stage: Stage;
  readonly metricsNamespace: string;
  readonly alarmTopic?: sns.ITopic;
  readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm created for this service. */
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: FerruleServiceProps) {
    super(scope, id);
    if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(props.serviceName) || props.serviceName.length > 64) {
      throw new Error(
        `FerruleService ${id}: serviceName must be lowercase kebab-case of at most 64 characters (it prefixes SSM paths and secret names), not "${props.serviceName}"`,
      );
    }
    this.serviceName = props.serviceName;
    this.stage = resolveStage(this, props.stage);
    this.metricsNamespace = props.metricsNamespace ?? props.serviceName;
    if (
      !/^[A-Za-z0-9.\-_/#: ]{1,255}$/.test(this.metricsNamespace) ||
      this.metricsNamespace.startsWith('AWS/')
    ) {
      throw new Error(
        `FerruleService ${id}: metricsNamespace must be 1..255 of letters, digits and . - _ / # : space, and must not start with AWS/ (reserved), not "${this.metricsNamespace}"`,
      );
    }
    this.alarmTopic = props.alarmTopic;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `${props.serviceName}-${this.stage}`,
      defaultInterval: Duration.hours(3),
    });
    const stack = Stack.of(this);
    registry.set(stack, [...(registry.get(stack) ?? []), this]);
  }

  get isProduction(): boolean {
    return this.stage === 'prod';
  }

  /** Removal policy for data: kept in prod, removed with the stack elsewhere. */
  get dataRemovalPolicy(): RemovalPolicy {
    return this.isProduction ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
  }

  /** `/<service>/<stage>/<name>`: the path ferrule-parameters resolves from `ssm:` references. */
  parameterName(name: string): string {
    if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(name)) {
      throw new Error(
        `parameter name "${name}" must be letters, digits, _ . - separated by / (no leading /; the /<service>/<stage>/ prefix is added)`,
      );
    }
    return `/${this.serviceName}/${this.stage}/${name}`;
  }

  /** `<service>/<stage>/<name>`. */
  secretName(name: string): string {
    if (!/^[A-Za-z0-9_.+=@-]+(\/[A-Za-z0-9_.+=@-]+)*$/.test(name)) {
      throw new Error(
        `secret name "${name}" must be letters, digits, _ . + = @ - separated by / (the <service>/<stage>/ prefix is added)`,
      );
    }
    return `${this.serviceName}/${this.stage}/${name}`;
  }

  /** A String parameter at `/<service>/<stage>/<name>`; declare it under a function's `uses.parameters`. */
  addParameter(id: string, options: ParameterOptions): ssm.StringParameter {
    return new ssm.StringParameter(this, id, {
      parameterName: this.parameterName(options.name),
      stringValue: options.value,
      description: options.description,
    });
  }

  /** An existing parameter at `/<service>/<stage>/<name>` (String or SecureString), without a lookup. */
  importParameter(id: string, name: string): ssm.IStringParameter {
    return ssm.StringParameter.fromStringParameterName(this, id, this.parameterName(name));
  }

  /** A secret named `<service>/<stage>/<name>`, kept in prod; declare it under a function's `uses.secrets`. */
  addSecret(id: string, options: SecretOptions): secretsmanager.Secret {
    return new secretsmanager.Secret(this, id, {
      secretName: this.secretName(options.name),
      description: options.description,
      encryptionKey: options.encryptionKey,
      generateSecretString: options.generateSecretString ?? { passwordLength: 32, excludePunctuation: true },
      removalPolicy: this.dataRemovalPolicy,
    });
  }

  /** An existing secret named `<service>/<stage>/<name>`, without a lookup. */
  importSecret(id: string, name: string): secretsmanager.ISecret {
    return secretsmanager.Secret.fromSecretNameV2(this, id, this.secretName(name));
  }

  /** Registers an alarm: it notifies `alarmTopic` and shows on the dashboard. */
  addAlarm(alarm: cloudwatch.Alarm): cloudwatch.Alarm {
    if (this.alarmTopic) alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
    return alarm;
  }

  /** Adds a row of widgets to the service's dashboard. */
  addWidgets(...widgets: cloudwatch.IWidget[]): void {
    this.dashboard.addWidgets(...widgets);
  }
}

function kebab(id: string): string {
  return id
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase()
    .slice(0, 64);
}

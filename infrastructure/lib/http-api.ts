import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from './private/acknowledge.ts';
import type { RustFunction } from './rust-function.ts';
import { FerruleService } from './service.ts';

/** An HTTP API waits at most this long for an integration. */
export const HTTP_INTEGRATION_TIMEOUT = Duration.seconds(30);

export interface JwtAuthorization {
  /** The user pool that issues the tokens (issuer `https://cognito-idp.<region>.amazonaws.com/<poolId>`). */
  readonly userPool: cognito.IUserPool;
  /** App clients whose tokens are accepted (the JWT audience). */
  readonly userPoolClients: readonly cognito.IUserPoolClient[];
}

export interface FerruleHttpApiProps {
  /**
   * JWT authorizer on a Cognito user pool, applied to every route unless the route opts out.
   * @default - none: every route must then say `authorized: false`
   */
  readonly jwt?: JwtAuthorization;
  /**
   * Steady-state requests per second of the stage.
   * @default 100
   */
  readonly rateLimit?: number;
  /**
   * Burst of requests above the rate the stage accepts.
   * @default 200
   */
  readonly burstLimit?: number;
  /**
   * CORS preflight handled by API Gateway.
   * @default - no CORS: browsers may only call the API from its own origin
   */
  readonly cors?: apigwv2.CorsPreflightOptions;
  /**
   * Retention of the access log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: logs.RetentionDays;
  /** @default - none */
  readonly description?: string;
  /** @default the stack's service */
  readonly service?: FerruleService;
}

export interface RouteOptions {
  /** @default [apigwv2.HttpMethod.GET] */
  readonly methods?: readonly apigwv2.HttpMethod[];
  /**
   * Whether the JWT authorizer guards the route. Opting out is explicit, per route.
   * @default true
   */
  readonly authorized?: boolean;
  /**
   * Why a route with `authorized: false` may be public (a webhook that checks a signature,
   * a greeting that returns no data): recorded as the reviewed answer to the rule packs'
   * "route without authorizer" finding. Without it, `npx ferrule check` reports the route.
   * @default - none: the finding is reported
   */
  readonly publicBecause?: string;
  /**
   * OAuth scopes the token must carry.
   * @default - none beyond a valid token
   */
  readonly scopes?: readonly string[];
}

/** Access log line: one JSON object per request, with what is needed to trace and debug it. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  userAgent: '$context.identity.userAgent',
};

/**
 * An HTTP API (payload 2.0) whose routes are served by `RustFunction`s: JWT authorization
 * on a Cognito user pool by default, stage throttling, JSON access logs to their own log
 * group, CORS only when asked.
 */
export class FerruleHttpApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;
  /** The JWT authorizer of `jwt` or `authorizeWith`; routes are authorized by it by default. */
  get authorizer(): HttpJwtAuthorizer | undefined {
    return this.jwtAuthorizer;
  }
  private jwtAuthorizer?: HttpJwtAuthorizer;
  /** Any 5xx answer (integration failures, throttling by Lambda). */
  readonly serverErrorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: FerruleHttpApiProps = {}) {
    super(scope, id);
    const owner = `FerruleHttpApi ${id}`;
    const service = props.service ?? FerruleService.of(this);
    const rateLimit = props.rateLimit ?? 100;
    const burstLimit = props.burstLimit ?? 200;
    if (!(rateLimit > 0))
      throw new Error(`${owner}: rateLimit must be above 0 requests per second, got ${rateLimit}`);
    if (!Number.isInteger(burstLimit) || burstLimit < 1) {
      throw new Error(`${owner}: burstLimit must be a whole number of at least 1, got ${burstLimit}`);
    }
    if (props.jwt) this.authorizeWith(props.jwt);
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: props.description,
      corsPreflight: props.cors,
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit, burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    const serverErrors = this.api.metricServerError({
      period: Duration.minutes(1),
      statistic: cloudwatch.Stats.SUM,
    });
    this.serverErrorsAlarm = service.addAlarm(
      new cloudwatch.Alarm(this, 'ServerErrorsAlarm', {
        alarmDescription: `${service.serviceName}/${id}: the API answered 5xx`,
        metric: serverErrors,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    service.addWidgets(
      new cloudwatch.GraphWidget({
        title: `${service.serviceName}/${id}: requests and errors`,
        left: [this.api.metricCount({ period: Duration.minutes(1) }), serverErrors],
        right: [this.api.metricLatency({ period: Duration.minutes(1), statistic: cloudwatch.Stats.p(99) })],
        width: 24,
      }),
    );
  }

  /** The API's base URL. */
  get url(): string {
    return this.api.apiEndpoint;
  }

  /**
   * Sets the JWT authorizer of an API created without `jwt` (routes added from now on are
   * authorized by it unless they opt out; routes added before stay as they are). An API has one.
   */
  authorizeWith(jwt: JwtAuthorization): void {
    const owner = `FerruleHttpApi ${this.node.id}`;
    if (this.jwtAuthorizer) throw new Error(`${owner}: the API has a JWT authorizer already; an API has one`);
    if (jwt.userPoolClients.length === 0) {
      throw new Error(`${owner}: jwt.userPoolClients must name at least one app client (the token audience)`);
    }
    const pool = jwt.userPool;
    this.jwtAuthorizer = new HttpJwtAuthorizer(
      'Jwt',
      `https://cognito-idp.${pool.env.region}.amazonaws.com/${pool.userPoolId}`,
      { jwtAudience: jwt.userPoolClients.map((client) => client.userPoolClientId) },
    );
  }

  /**
   * Routes `path` to `fn`, authorized by the JWT authorizer unless `authorized: false`.
   */
  addRoute(path: string, fn: RustFunction, options: RouteOptions = {}): apigwv2.HttpRoute[] {
    const owner = `FerruleHttpApi ${this.node.id}`;
    const methods = options.methods ?? [apigwv2.HttpMethod.GET];
    const authorized = options.authorized ?? true;
    const route = `${methods.join(',')} ${path}`;
    if (authorized && !this.authorizer) {
      throw new Error(
        `${owner}: route ${route} is authorized by default but the API has no jwt; set jwt: { userPool, userPoolClients } on the API, or authorized: false on this route to make it public`,
      );
    }
    if (authorized && options.publicBecause !== undefined) {
      throw new Error(
        `${owner}: route ${route} gives publicBecause but is authorized; set authorized: false too, or remove publicBecause`,
      );
    }
    if (!authorized && options.scopes) {
      throw new Error(`${owner}: route ${route} has scopes but authorized: false; remove one of them`);
    }
    if (fn.timeout.toSeconds() > HTTP_INTEGRATION_TIMEOUT.toSeconds()) {
      throw new Error(
        `${owner}: route ${route}: ${fn.node.id} has a ${fn.timeout.toSeconds()} s timeout but an HTTP API gives up after 30 s; set timeout to 30 seconds or less (or make the work asynchronous)`,
      );
    }
    const routes = this.api.addRoutes({
      path,
      methods: [...methods],
      integration: new HttpLambdaIntegration(`${fn.node.id}Integration`, fn),
      authorizer: authorized ? this.authorizer : new apigwv2.HttpNoneAuthorizer(),
      authorizationScopes: options.scopes ? [...options.scopes] : undefined,
    });
    if (options.publicBecause !== undefined) {
      for (const r of routes) acknowledge(r, 'AwsSolutions-APIG4', options.publicBecause);
    }
    acknowledge(
      fn,
      'Serverless-LambdaDLQ',
      'Invoked synchronously by API Gateway: the caller gets the error; a dead-letter queue applies to asynchronous invocations only.',
    );
    return routes;
  }
}

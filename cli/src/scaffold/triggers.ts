/** Invocation sources `ferrule new function --trigger` scaffolds. */
export const TRIGGERS = [
  'http',
  'sqs',
  'sqs-fifo',
  'dynamodb-stream',
  'eventbridge',
  'schedule',
  'cognito-pre-sign-up',
  'cognito-post-confirmation',
] as const;

export type Trigger = (typeof TRIGGERS)[number];

export interface TriggerInfo {
  readonly trigger: Trigger;
  /** What the function is invoked by, in one line. */
  readonly summary: string;
  /** Folder under cli/templates/function/. */
  readonly template: string;
  /** The fixture of backend/events/ its tests and the smoke test use (http writes its own). */
  readonly fixture: string;
  /** The shared libraries the template builds on. */
  readonly libraries: readonly string[];
}

export const TRIGGER_INFO: Readonly<Record<Trigger, TriggerInfo>> = {
  http: {
    trigger: 'http',
    summary: 'an HTTP API route (API Gateway v2, payload 2.0); --route "<METHOD> <path>"',
    template: 'http',
    fixture: 'apigw-http/<name>',
    libraries: ['ferrule-http', 'ferrule-logger'],
  },
  sqs: {
    trigger: 'sqs',
    summary: 'an SQS standard queue with a dead-letter queue, partial batch failures; --queue <name>',
    template: 'sqs',
    fixture: 'sqs/standard',
    libraries: ['ferrule-batch', 'ferrule-errors', 'ferrule-logger'],
  },
  'sqs-fifo': {
    trigger: 'sqs-fifo',
    summary: 'an SQS FIFO queue, in order per group, partial batch failures; --queue <name>',
    template: 'sqs',
    fixture: 'sqs/fifo',
    libraries: ['ferrule-batch', 'ferrule-errors', 'ferrule-logger'],
  },
  'dynamodb-stream': {
    trigger: 'dynamodb-stream',
    summary: 'the stream of a DynamoDB table, partial batch failures; --table <name>',
    template: 'dynamodb-stream',
    fixture: 'dynamodb-stream/insert',
    libraries: ['ferrule-batch', 'ferrule-errors', 'ferrule-logger'],
  },
  eventbridge: {
    trigger: 'eventbridge',
    summary: 'an EventBridge rule on a bus (default: the account default bus); --bus <name>',
    template: 'eventbridge',
    fixture: 'eventbridge/order-placed',
    libraries: ['ferrule-errors', 'ferrule-logger'],
  },
  schedule: {
    trigger: 'schedule',
    summary: 'an EventBridge schedule; --schedule "rate(1 hour)" or "cron(0 3 * * ? *)"',
    template: 'schedule',
    fixture: 'eventbridge/scheduled',
    libraries: ['ferrule-errors', 'ferrule-logger'],
  },
  'cognito-pre-sign-up': {
    trigger: 'cognito-pre-sign-up',
    summary: 'the PreSignUp trigger of a Cognito user pool; --user-pool <name>',
    template: 'cognito-pre-sign-up',
    fixture: 'cognito/pre-sign-up',
    libraries: ['ferrule-errors', 'ferrule-logger'],
  },
  'cognito-post-confirmation': {
    trigger: 'cognito-post-confirmation',
    summary: 'the PostConfirmation trigger of a Cognito user pool; --user-pool <name>',
    template: 'cognito-post-confirmation',
    fixture: 'cognito/post-confirmation',
    libraries: ['ferrule-errors', 'ferrule-logger'],
  },
};

export function isTrigger(value: string): value is Trigger {
  return (TRIGGERS as readonly string[]).includes(value);
}

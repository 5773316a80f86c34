// The IAM actions behind each aws-sdk-rust operation Ferrule code calls. One entry per SDK
// crate; an operation missing here is reported by `ferrule check` (unknown SDK operation),
// never guessed. Add an entry with the actions the service's authorization reference lists
// for the API (some operations need another's permission: SendMessageBatch is sqs:SendMessage).

export interface SdkService {
  /** The crate as Cargo names it (`aws-sdk-dynamodb`); Rust code names it `aws_sdk_dynamodb`. */
  readonly crate: string;
  /** Fluent-builder method (`get_item`) → IAM actions it needs. */
  readonly operations: Readonly<Record<string, readonly string[]>>;
  /** Operations that take `.index_name(...)`: the call then needs the action on `<table ARN>/index/<name>`. */
  readonly indexOperations?: readonly string[];
}

export const SDK_SERVICES: readonly SdkService[] = [
  {
    crate: 'aws-sdk-dynamodb',
    operations: {
      batch_get_item: ['dynamodb:BatchGetItem'],
      batch_write_item: ['dynamodb:BatchWriteItem'],
      delete_item: ['dynamodb:DeleteItem'],
      describe_table: ['dynamodb:DescribeTable'],
      get_item: ['dynamodb:GetItem'],
      put_item: ['dynamodb:PutItem'],
      query: ['dynamodb:Query'],
      scan: ['dynamodb:Scan'],
      // Authorized as the reads it makes; TransactWriteItems is left out on purpose: its
      // actions depend on the items inside (PutItem, UpdateItem, DeleteItem, ConditionCheckItem).
      transact_get_items: ['dynamodb:GetItem'],
      update_item: ['dynamodb:UpdateItem'],
    },
    indexOperations: ['query', 'scan'],
  },
  {
    crate: 'aws-sdk-eventbridge',
    operations: { put_events: ['events:PutEvents'] },
  },
  {
    crate: 'aws-sdk-secretsmanager',
    operations: {
      describe_secret: ['secretsmanager:DescribeSecret'],
      get_secret_value: ['secretsmanager:GetSecretValue'],
    },
  },
  {
    crate: 'aws-sdk-sqs',
    operations: {
      change_message_visibility: ['sqs:ChangeMessageVisibility'],
      change_message_visibility_batch: ['sqs:ChangeMessageVisibility'],
      delete_message: ['sqs:DeleteMessage'],
      delete_message_batch: ['sqs:DeleteMessage'],
      get_queue_attributes: ['sqs:GetQueueAttributes'],
      get_queue_url: ['sqs:GetQueueUrl'],
      receive_message: ['sqs:ReceiveMessage'],
      send_message: ['sqs:SendMessage'],
      send_message_batch: ['sqs:SendMessage'],
    },
  },
  {
    crate: 'aws-sdk-ssm',
    operations: {
      get_parameter: ['ssm:GetParameter'],
      get_parameters: ['ssm:GetParameters'],
      get_parameters_by_path: ['ssm:GetParametersByPath'],
    },
  },
];

/** `aws_sdk_dynamodb` (as Rust code names the crate) → its entry, if the table has one. */
export function serviceOfRustName(rustName: string): SdkService | undefined {
  return SDK_SERVICES.find((service) => service.crate.replace(/-/g, '_') === rustName);
}

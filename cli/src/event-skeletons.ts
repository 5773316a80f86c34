// Names and built-in payloads of `ferrule events new`, apart from the code that writes
// fixtures: `ferrule events new --help` shows them without loading the project.

/** Fixture and source names: lowercase kebab-case, as the folders of backend/events/ are. */
export const FIXTURE_NAME_RULE =
  'lowercase letters, digits and single hyphens, starting with a letter (e.g. order-placed-eu), at most 64 characters';

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** What is wrong with a source or fixture name, or undefined when it is fine. */
export function fixtureNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > 64) return 'it is longer than 64 characters';
  if (!NAME.test(name)) return `it must be ${FIXTURE_NAME_RULE}`;
  return undefined;
}

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const TIME = '2026-01-01T00:00:00Z';

/** Minimal payloads, from the shapes in the AWS Lambda documentation, for sources without a fixture yet. */
export const SKELETONS: Readonly<Record<string, unknown>> = {
  'apigw-http': {
    version: '2.0',
    routeKey: 'GET /items',
    rawPath: '/items',
    rawQueryString: '',
    headers: { accept: 'application/json', host: 'api.example.com' },
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'api-id',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: {
        method: 'GET',
        path: '/items',
        protocol: 'HTTP/1.1',
        sourceIp: '192.0.2.1',
        userAgent: 'curl/8.0',
      },
      requestId: 'request-id',
      routeKey: 'GET /items',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 1767225600000,
    },
    isBase64Encoded: false,
  },
  sqs: {
    Records: [
      {
        messageId: '00000000-0000-4000-8000-000000000001',
        receiptHandle: 'receipt-handle',
        body: '{}',
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: '1767225600000',
          SenderId: ACCOUNT,
          ApproximateFirstReceiveTimestamp: '1767225600001',
        },
        messageAttributes: {},
        md5OfBody: '99914b932bd37a50b983c5e7c90ae93b',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:queue`,
        awsRegion: REGION,
      },
    ],
  },
  'dynamodb-stream': {
    Records: [
      {
        eventID: '1',
        eventName: 'INSERT',
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: REGION,
        dynamodb: {
          ApproximateCreationDateTime: 1767225600,
          Keys: { pk: { S: 'ITEM#1' }, sk: { S: 'ITEM#1' } },
          NewImage: { pk: { S: 'ITEM#1' }, sk: { S: 'ITEM#1' } },
          SequenceNumber: '100000000000000000001',
          SizeBytes: 26,
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
        eventSourceARN: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/items/stream/2026-01-01T00:00:00.000`,
      },
    ],
  },
  eventbridge: {
    version: '0',
    id: '00000000-0000-4000-8000-000000000002',
    'detail-type': 'ItemCreated',
    source: 'example.items',
    account: ACCOUNT,
    time: TIME,
    region: REGION,
    resources: [],
    detail: {},
  },
  cognito: {
    version: '1',
    triggerSource: 'PreSignUp_SignUp',
    region: REGION,
    userPoolId: `${REGION}_EXAMPLE`,
    userName: 'user',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'client-id' },
    request: { userAttributes: { email: 'user@example.com' }, validationData: null },
    response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
  },
  sns: {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `arn:aws:sns:${REGION}:${ACCOUNT}:topic:00000000-0000-4000-8000-000000000003`,
        Sns: {
          Type: 'Notification',
          MessageId: '00000000-0000-4000-8000-000000000004',
          TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:topic`,
          Subject: null,
          Message: '{}',
          Timestamp: TIME,
          SignatureVersion: '1',
          Signature: 'signature',
          SigningCertUrl: 'https://sns.eu-west-1.amazonaws.com/cert.pem',
          UnsubscribeUrl: 'https://sns.eu-west-1.amazonaws.com/unsubscribe',
          MessageAttributes: {},
        },
      },
    ],
  },
  s3: {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: REGION,
        eventTime: TIME,
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'EXAMPLE' },
        requestParameters: { sourceIPAddress: '192.0.2.1' },
        responseElements: { 'x-amz-request-id': 'request-id', 'x-amz-id-2': 'id-2' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'config',
          bucket: { name: 'bucket', ownerIdentity: { principalId: 'EXAMPLE' }, arn: 'arn:aws:s3:::bucket' },
          object: {
            key: 'key.json',
            size: 2,
            eTag: '99914b932bd37a50b983c5e7c90ae93b',
            sequencer: '0A1B2C3D4E5F678901',
          },
        },
      },
    ],
  },
  kinesis: {
    Records: [
      {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: 'key',
          sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
          data: 'e30=',
          approximateArrivalTimestamp: 1767225600.0,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: 'shardId-000000000000:49590338271490256608559692538361571095921575989136588898',
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: `arn:aws:iam::${ACCOUNT}:role/role`,
        awsRegion: REGION,
        eventSourceARN: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/stream`,
      },
    ],
  },
};

// IAM equals code: the SDK calls read from a small workspace (fixtures/iam/backend, never
// built) against roles in hand-written templates, both ways, with Lambda's own grants set apart.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyzeFunction, Workspace } from '../src/iam/code-actions.ts';
import { compareTemplates, type IamComparison, iamFindings } from '../src/iam/compare.ts';
import { tokenize } from '../src/iam/rust-source.ts';

const root = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures/iam');
const workspace = Workspace.load(root);
const table = { 'Fn::GetAtt': ['Table', 'Arn'] };
const queue = { 'Fn::GetAtt': ['Queue', 'Arn'] };
const index = (name: string) => ({ 'Fn::Join': ['', [table, `/index/${name}`]] });
const parameter = 'arn:aws:ssm:eu-west-1:123456789012:parameter/shop/dev/max-items';

interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** One function `Fn` running `crate`, its role with `statements`, consuming `Queue` through a mapping. */
function app(crate: string, statements: Statement[], variables: Record<string, unknown> = {}) {
  const Resources = {
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Role: { 'Fn::GetAtt': ['FnRole', 'Arn'] },
        Environment: { Variables: variables },
        TracingConfig: { Mode: 'Active' },
      },
      Metadata: { 'aws:cdk:path': 'App/Fn/Resource', 'ferrule:crate': crate },
    },
    FnRole: { Type: 'AWS::IAM::Role', Metadata: { 'aws:cdk:path': 'App/Fn/Role/Resource' } },
    FnPolicy: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        Roles: [{ Ref: 'FnRole' }],
        PolicyDocument: {
          Statement: [
            { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: 'arn:logs' },
            { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
            {
              Effect: 'Allow',
              Action: [
                'sqs:ChangeMessageVisibility',
                'sqs:DeleteMessage',
                'sqs:GetQueueAttributes',
                'sqs:ReceiveMessage',
              ],
              Resource: queue,
            },
            ...statements.map((statement) => ({ Effect: 'Allow', ...statement })),
          ],
        },
      },
    },
    Table: { Type: 'AWS::DynamoDB::Table' },
    Queue: { Type: 'AWS::SQS::Queue' },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: { FunctionName: { Ref: 'Fn' }, EventSourceArn: queue },
    },
    // Not a Ferrule crate: left alone.
    Other: {
      Type: 'AWS::Lambda::Function',
      Properties: {},
      Metadata: { 'aws:cdk:path': 'App/Other/Resource' },
    },
  };
  const [comparison] = compareTemplates({ App: { Resources } }, { root, workspace });
  return comparison as IamComparison;
}

const actions = (list: readonly { action: string; index?: string }[]) =>
  list.map((item) => (item.index === undefined ? item.action : `${item.action} @${item.index}`)).sort();

describe('the AWS calls a function crate can make', () => {
  it('follows the function into the crates it uses, and only into what it reaches', () => {
    const code = analyzeFunction(workspace, 'reader');
    // The adapter can also query, delete and archive; reader only gets an order.
    expect(actions(code.calls)).toEqual(['dynamodb:GetItem', 'ssm:GetParameters']);
    expect(code.calls.find((c) => c.action === 'dynamodb:GetItem')).toMatchObject({
      sdk: 'aws-sdk-dynamodb',
      operation: 'get_item',
      crate: 'store',
      at: expect.stringMatching(/^backend\/crates\/store\/src\/dynamodb\.rs:\d+$/),
    });
    expect(code.crates).toEqual({
      'ferrule-parameters': ['default', 'ssm'],
      reader: [],
      store: ['dynamodb'],
    });
  });

  it('reads no call from comments, strings, test modules, or code a feature leaves out', () => {
    // dynamodb.rs names .delete_item() in a doc comment, .scan() in a string and a test.
    expect(actions(analyzeFunction(workspace, 'reader').calls)).not.toContain('dynamodb:Scan');
    // offline uses the store without its `dynamodb` feature: the adapter is not compiled.
    expect(analyzeFunction(workspace, 'offline')).toMatchObject({ calls: [], crates: { store: [] } });
  });

  it('names the index a query is on', () => {
    expect(actions(analyzeFunction(workspace, 'lister').calls)).toEqual(['dynamodb:Query @by-customer']);
  });

  it('marks the SSM reads of configuration, made only for ssm: values', () => {
    const ssm = analyzeFunction(workspace, 'reader').calls.find((c) => c.action === 'ssm:GetParameters');
    expect(ssm).toMatchObject({ crate: 'ferrule-parameters', onConfiguration: true });
  });

  it('reports an SDK operation the IAM table does not know, instead of guessing', () => {
    const code = analyzeFunction(workspace, 'janitor');
    expect(actions(code.calls)).toEqual(['dynamodb:DeleteItem']);
    expect(code.unknown).toEqual([
      expect.objectContaining({ sdk: 'aws-sdk-dynamodb', operation: 'transact_write_items' }),
    ]);
  });
});

describe('IAM equals code', () => {
  it('passes when the role grants exactly what the code calls, setting apart what Lambda uses', () => {
    const result = app('reader', [{ Action: 'dynamodb:GetItem', Resource: table }]);
    expect(result).toMatchObject({
      crate: 'reader',
      grantedNotCalled: [],
      calledNotGranted: [],
      unknown: [],
    });
    expect(actions(result.granted)).toEqual(['dynamodb:GetItem']);
    expect(result.platform.filter((p) => p.action.startsWith('sqs:'))).toEqual(
      [
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ReceiveMessage',
      ].map((action) => ({
        action,
        resource: 'Queue',
        reason: 'the event source mapping reads the source for the function',
      })),
    );
    expect(actions(result.platform)).toEqual(
      expect.arrayContaining(['logs:CreateLogStream', 'xray:PutTraceSegments']),
    );
    expect(iamFindings(result)).toEqual([]);
  });

  it('fails on a granted action the code never calls', () => {
    const result = app('reader', [
      { Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'], Resource: table },
      { Action: 'dynamodb:Query', Resource: index('*') },
    ]);
    expect(actions(result.grantedNotCalled)).toEqual(['dynamodb:BatchGetItem', 'dynamodb:Query @*']);
    expect(result.calledNotGranted).toEqual([]);
    const [finding] = iamFindings(result);
    expect(finding).toMatchObject({
      source: 'IAM',
      rule: 'IAM-GrantedNotCalled',
      level: 'error',
      stack: 'App',
      constructPath: 'App/Fn/Role/Resource',
      message: 'The role grants dynamodb:BatchGetItem (on Table), which the code of reader never calls.',
    });
    expect(finding?.fix).toMatch(/drop it from the function's `uses`/);
  });

  it('fails on a call the role does not grant, naming where the code makes it', () => {
    const result = app('reader', []);
    expect(actions(result.calledNotGranted)).toEqual(['dynamodb:GetItem']);
    const [finding] = iamFindings(result);
    expect(finding?.rule).toBe('IAM-CalledNotGranted');
    expect(finding?.message).toMatch(
      /^The code of reader calls dynamodb:GetItem \(get_item at backend\/crates\/store\/src\/dynamodb\.rs:\d+\), which its role does not grant\.$/,
    );
  });

  it('compares queries index by index', () => {
    const onTable = app('lister', [{ Action: 'dynamodb:Query', Resource: table }]);
    expect(actions(onTable.calledNotGranted)).toEqual(['dynamodb:Query @by-customer']);
    expect(actions(onTable.grantedNotCalled)).toEqual(['dynamodb:Query']);
    expect(iamFindings(onTable).map((f) => f.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/calls dynamodb:Query on index by-customer \(query at /),
      ]),
    );
    const onIndex = app('lister', [{ Action: 'dynamodb:Query', Resource: index('by-customer') }]);
    expect(onIndex).toMatchObject({ grantedNotCalled: [], calledNotGranted: [] });
    const onOther = app('lister', [
      { Action: 'dynamodb:Query', Resource: [index('by-customer'), index('by-date')] },
    ]);
    expect(actions(onOther.grantedNotCalled)).toEqual(['dynamodb:Query @by-date']);
  });

  it('asks for the SSM read of configuration only when the environment holds an ssm: value', () => {
    const get = { Action: 'dynamodb:GetItem', Resource: table };
    expect(app('reader', [get]).calledNotGranted).toEqual([]);
    const configured = app('reader', [get], {
      MAX_ITEMS: { 'Fn::Join': ['', ['ssm:', '/shop/dev/max-items']] },
    });
    expect(actions(configured.calledNotGranted)).toEqual(['ssm:GetParameters']);
    const granted = app('reader', [get, { Action: 'ssm:GetParameters', Resource: parameter }], {
      MAX_ITEMS: 'ssm:/shop/dev/max-items',
    });
    expect(granted).toMatchObject({ grantedNotCalled: [], calledNotGranted: [] });
    // Reads the code never makes are still reported.
    const extra = app('reader', [
      get,
      { Action: ['ssm:GetParameters', 'ssm:GetParametersByPath'], Resource: parameter },
    ]);
    expect(actions(extra.grantedNotCalled)).toEqual(['ssm:GetParametersByPath']);
  });

  it('reports an unknown SDK operation as an error that says where to add it', () => {
    const result = app('janitor', [{ Action: 'dynamodb:DeleteItem', Resource: table }]);
    expect(iamFindings(result)).toEqual([
      expect.objectContaining({
        rule: 'IAM-UnknownSdkOperation',
        message: expect.stringMatching(
          /calls aws-sdk-dynamodb transact_write_items \(at backend\/crates\/store\/src\/dynamodb\.rs:\d+\)/,
        ),
        fix: expect.stringMatching(/cli\/src\/iam\/sdk-operations\.ts/),
      }),
    ]);
  });

  it('never counts a wildcard action as called', () => {
    const result = app('reader', [{ Action: 'dynamodb:*', Resource: table }]);
    expect(result.calledNotGranted).toEqual([]);
    expect(actions(result.grantedNotCalled)).toEqual(['dynamodb:*']);
  });
});

describe('the Rust reader', () => {
  it('tells lifetimes from char literals and skips comments and raw strings', () => {
    const idents = (source: string) =>
      tokenize(source)
        .filter((t) => t.kind === 'ident')
        .map((t) => t.text);
    expect(idents("fn f<'a>(x: &'a str) -> char { let c = 'x'; let q = '\\''; c }")).toEqual([
      'fn',
      'f',
      'x',
      'str',
      'char',
      'let',
      'c',
      'let',
      'q',
      'c',
    ]);
    expect(idents('/* a /* nested */ .get_item() */ r#"raw .query() "quoted""# b"bytes" after')).toEqual([
      'after',
    ]);
    expect(tokenize('"a\\"b"\nnext')[1]).toMatchObject({ text: 'next', line: 2 });
  });
});

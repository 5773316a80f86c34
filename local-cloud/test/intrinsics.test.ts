// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these are Fn::Sub strings of CloudFormation, not JavaScript templates
import { describe, expect, it } from 'vitest';
import {
  type ResolveContext,
  type ResolvedResource,
  ResolveError,
  referencedIds,
  resolveString,
  resolveValue,
} from '../src/intrinsics.ts';

const context: ResolveContext = {
  stackName: 'Orders-dev',
  region: 'eu-west-1',
  accountId: '123456789012',
  resources: new Map<string, ResolvedResource>([
    [
      'Table',
      {
        ref: 'orders-table',
        attributes: { Arn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders-table' },
      },
    ],
    ['Pool', { ref: 'eu-west-1_abc', attributes: {} }],
  ]),
  parameters: { Stage: 'dev' },
  conditions: {
    IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] },
    IsDev: { 'Fn::Not': [{ Condition: 'IsProd' }] },
  },
  exports: new Map([['Shared-BusName', 'shared-bus']]),
};

describe('CloudFormation intrinsics', () => {
  it('resolves Ref, GetAtt (both forms), pseudo parameters and template parameters', () => {
    expect(resolveValue({ Ref: 'Table' }, context)).toBe('orders-table');
    expect(resolveValue({ 'Fn::GetAtt': ['Table', 'Arn'] }, context)).toContain(':table/orders-table');
    expect(resolveValue({ 'Fn::GetAtt': 'Table.Arn' }, context)).toContain(':table/orders-table');
    expect(resolveValue({ Ref: 'AWS::Region' }, context)).toBe('eu-west-1');
    expect(resolveValue({ Ref: 'Stage' }, context)).toBe('dev');
  });

  it('resolves the Join CDK writes for a Cognito issuer and an ssm: reference', () => {
    const issuer = {
      'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', { Ref: 'Pool' }]],
    };
    expect(resolveString(issuer, context, 'issuer')).toBe(
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
    );
  });

  it('resolves Sub with resource, attribute, variable and literal forms', () => {
    expect(resolveValue({ 'Fn::Sub': 'cdk-${AWS::AccountId}-${AWS::Region}' }, context)).toBe(
      'cdk-123456789012-eu-west-1',
    );
    expect(resolveValue({ 'Fn::Sub': '${Table}|${Table.Arn}|${!Literal}' }, context)).toBe(
      'orders-table|arn:aws:dynamodb:eu-west-1:123456789012:table/orders-table|${Literal}',
    );
    expect(resolveValue({ 'Fn::Sub': ['${Name}-x', { Name: { Ref: 'Table' } }] }, context)).toBe(
      'orders-table-x',
    );
  });

  it('evaluates Select, Split, If with conditions, ImportValue and AWS::NoValue', () => {
    expect(resolveValue({ 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] }, context)).toBe('b');
    expect(resolveValue({ 'Fn::If': ['IsProd', 'big', 'small'] }, context)).toBe('small');
    expect(resolveValue({ 'Fn::If': ['IsDev', 'dev-only', { Ref: 'AWS::NoValue' }] }, context)).toBe(
      'dev-only',
    );
    expect(resolveValue({ 'Fn::ImportValue': 'Shared-BusName' }, context)).toBe('shared-bus');
    expect(
      resolveValue({ A: 1, B: { Ref: 'AWS::NoValue' }, C: [{ Ref: 'AWS::NoValue' }, 2] }, context),
    ).toEqual({ A: 1, C: [2] });
  });

  it('names what it cannot resolve', () => {
    expect(() => resolveValue({ Ref: 'Missing' }, context)).toThrow(ResolveError);
    expect(() => resolveValue({ 'Fn::GetAtt': ['Table', 'StreamArn'] }, context)).toThrow(/Table\.StreamArn/);
    expect(() => resolveValue({ 'Fn::ImportValue': 'Nope' }, context)).toThrow(/no stack exports "Nope"/);
    expect(() => resolveValue({ 'Fn::Transform': {} }, context)).toThrow(/Fn::Transform is not supported/);
  });

  it('finds the resources a value refers to (the provisioning order)', () => {
    const refs = referencedIds({
      A: { Ref: 'Table' },
      B: { 'Fn::GetAtt': ['Queue', 'Arn'] },
      C: { 'Fn::Sub': ['${Bus}-${Var}-${AWS::Region}', { Var: { Ref: 'Pool' } }] },
    });
    expect([...refs].sort()).toEqual(['Bus', 'Pool', 'Queue', 'Table']);
  });
});

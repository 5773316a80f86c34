// `ferrule invoke` is safe by default: the function talks to a local moto with the app's resources
// and fixed local credentials, never to AWS with the shell's, and runs with the template's settings
// (the run of the built function is in invoke.e2e.ts).
import { describe, expect, it } from 'vitest';
import { invokeSettings, LOCAL_CREDENTIALS, planInvoke } from '../src/actions/invoke.ts';

const crate = { name: 'orders-api', environment: { ORDERS_TABLE: 'orders-local' } };
const served = {
  label: 'orders-api',
  crate: 'orders-api',
  name: 'FerruleOrders-dev-OrdersApiFunction28E5008F',
  memoryMb: 256,
  timeoutSeconds: 10,
  environment: { ORDERS_TABLE: 'FerruleOrders-dev-OrdersTableD407578C', FERRULE_STAGE: 'dev' },
  logFormat: 'JSON' as const,
  logLevel: 'INFO',
};
const shell = {
  AWS_ACCESS_KEY_ID: 'AKIASHELLKEY',
  AWS_SECRET_ACCESS_KEY: 'shell-secret',
  AWS_SESSION_TOKEN: 'shell-token',
  AWS_PROFILE: 'production',
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL: 'https://example.invalid',
  RUST_LOG: 'debug',
};

describe('ferrule invoke: what the function runs with', () => {
  it("locally: the template's settings, the local endpoint and local credentials, none of the shell's", () => {
    const plan = planInvoke({
      crate,
      served,
      target: { kind: 'local', endpoint: 'http://127.0.0.1:4566' },
      shell,
    });
    expect(plan).toMatchObject({
      functionName: served.name,
      memoryMb: 256,
      timeoutSeconds: 10,
      environment: served.environment,
      logFormat: 'JSON',
      logLevel: 'INFO',
      notes: [],
    });
    expect(plan.passthrough).toEqual({
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      ...LOCAL_CREDENTIALS,
      RUST_LOG: 'debug',
      RUST_BACKTRACE: undefined,
    });
    expect(plan.region).toBeUndefined();
  });

  it('--memory, --timeout and --env win over the template', () => {
    const plan = planInvoke({
      crate,
      served,
      target: { kind: 'local', endpoint: 'http://127.0.0.1:4566' },
      shell: {},
      memoryMb: 1024,
      timeoutSeconds: 30,
      environment: { ORDERS_TABLE: 'mine' },
    });
    expect(plan).toMatchObject({ memoryMb: 1024, timeoutSeconds: 30 });
    expect(plan.environment).toEqual({ ...served.environment, ORDERS_TABLE: 'mine' });
  });

  it("a crate the app does not have yet: its Cargo.toml environment and Lambda's defaults, with a note", () => {
    const plan = planInvoke({ crate, target: { kind: 'local', endpoint: 'http://127.0.0.1:1' }, shell: {} });
    expect(plan).toMatchObject({ functionName: 'orders-api', memoryMb: 128, timeoutSeconds: 3 });
    expect(plan.environment).toEqual(crate.environment);
    expect(plan.notes.join('\n')).toMatch(/not in the synthesized app.*Cargo\.toml environment.*128 MB, 3 s/);
  });

  it("--aws: the shell's endpoint, credentials and region pass through, and it says so", () => {
    const plan = planInvoke({ crate, served, target: { kind: 'aws' }, shell });
    expect(plan.passthrough).toEqual({
      AWS_ENDPOINT_URL: 'https://example.invalid',
      AWS_ACCESS_KEY_ID: 'AKIASHELLKEY',
      AWS_SECRET_ACCESS_KEY: 'shell-secret',
      AWS_SESSION_TOKEN: 'shell-token',
      RUST_LOG: 'debug',
      RUST_BACKTRACE: undefined,
    });
    expect(plan).toMatchObject({ region: 'us-east-1', memoryMb: 256, timeoutSeconds: 10 });
    expect(plan.notes).toEqual([
      "--aws: the function talks to https://example.invalid (AWS_ENDPOINT_URL) with this shell's AWS credentials, and its Cargo.toml environment",
    ]);
    const { AWS_ENDPOINT_URL: _endpoint, AWS_ACCESS_KEY_ID: _key, ...profileOnly } = shell;
    const withoutKeys = planInvoke({ crate, target: { kind: 'aws' }, shell: profileOnly });
    expect(withoutKeys.notes[0]).toMatch(/talks to AWS in us-east-1/);
    expect(withoutKeys.notes[1]).toMatch(/no AWS_ACCESS_KEY_ID in this shell.*export-credentials/);
    // Long-term keys: no session token, not even the emulator's placeholder.
    const { AWS_SESSION_TOKEN: _token, ...longTermKeys } = shell;
    expect(
      planInvoke({ crate, target: { kind: 'aws' }, shell: longTermKeys }).passthrough.AWS_SESSION_TOKEN,
    ).toBe('');
  });
});

describe('ferrule invoke --concurrency', () => {
  const flags = { event: 'apigw-http/get-hello', env: [] as string[] };

  it('takes a whole number of invocations from 1 to 1600', () => {
    expect(invokeSettings({ ...flags, concurrency: '16' }).concurrency).toBe(16);
    expect(invokeSettings({ ...flags }).concurrency).toBeUndefined();
    expect(() => invokeSettings({ ...flags, concurrency: '0' })).toThrow(
      /--concurrency must be a number from 1 to 1600, not `0`/,
    );
    expect(() => invokeSettings({ ...flags, concurrency: '1601' })).toThrow(/not `1601`/);
    expect(() => invokeSettings({ ...flags, concurrency: '2.5' })).toThrow(/whole number from 1 to 1600/);
  });
});

// `ferrule invoke` with no AWS settings of its own: the built orders-api against a local moto
// holding the app's resources. In the e2e group: it needs the release artifact and cdk.out.
import { describe, expect, it } from 'vitest';
import { runFerrule } from './run-ferrule.ts';

describe('ferrule invoke against a local moto', () => {
  it('orders-api lists orders from the table the template declares, with bogus shell keys and no endpoint', () => {
    const result = runFerrule(['invoke', 'orders-api', '-e', 'apigw-http/orders-list', '--json'], {
      env: {
        // What a developer's shell may hold: none of it reaches the function.
        AWS_ENDPOINT_URL: '',
        AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        AWS_SESSION_TOKEN: 'not-a-session',
        AWS_PROFILE: 'a-profile-this-machine-does-not-have',
      },
    });
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      requestId: string;
      memorySizeMb: number;
      outcome: { kind: string; json: { statusCode: number; body: string } };
    };
    expect(report.outcome.kind).toBe('success');
    expect(report.outcome.json.statusCode).toBe(200);
    expect(JSON.parse(report.outcome.json.body)).toEqual({ items: [] });
    // The template gives the deployed function 256 MB; Lambda's default is 128.
    expect(report.memorySizeMb).toBe(256);

    // Its lines are kept for `ferrule logs`.
    const logs = runFerrule(['logs', 'orders-api', '--request-id', report.requestId, '--json']);
    expect(logs.code, logs.stderr).toBe(0);
    const lines = logs.stdout.trim().split('\n');
    expect(lines[0]).toBe(`START RequestId: ${report.requestId} Version: $LATEST`);
    expect(lines.at(-2)).toBe(`END RequestId: ${report.requestId}`);
    expect(lines.at(-1)).toMatch(new RegExp(`^REPORT RequestId: ${report.requestId}\t.*Memory Size: 256 MB`));
  }, 120_000);
});

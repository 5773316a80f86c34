// The CDK app: `npx ferrule synth` (or `npx cdk synth` in this folder) after `npx ferrule build`.
// Synthesizes offline: no account lookups, no credentials.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { functions } from '../functions/index.ts';
import { HelloStack } from '../lib/hello-stack.ts';
import { OrdersStack } from '../lib/orders-stack.ts';
import { parsePlatform } from '../lib/platform.ts';
import { Adr002Checks } from '../lib/rules/index.ts';
import { resolveStage } from '../lib/service.ts';
import { FerruleServiceStack, wireFunctions } from '../lib/service-stack.ts';

const app = new App();
// Every synth checks the ADR-002 rules (docs/rules.md); a finding fails the synth.
Validations.of(app).addPlugins(new Adr002Checks(app));
// `npx ferrule check` adds cdk-nag's AwsSolutions and Serverless packs (context
// ferrule:packs=all); verbose, so each finding carries the pack's explanation.
if (String(app.node.tryGetContext('ferrule:packs') ?? '') === 'all') {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true }),
    new ServerlessChecks(app, { verbose: true }),
  );
}
const platform = parsePlatform(String(app.node.tryGetContext('ferrule:platform') ?? 'al2023-x86_64'));
const stage = resolveStage(app);

const hello = new HelloStack(app, `FerruleHello-${stage}`, {
  platform,
  description: `Ferrule hello-http (${stage})`,
  tags: { project: 'ferrule', stage },
});

// The reference service: all five invocation sources (docs/architecture.md).
// In prod, context ferrule:signupAllowedDomains and ferrule:shippingBaseUrl are required.
const contextValue = (key: string): string | undefined => app.node.tryGetContext(key) ?? undefined;
const orders = new OrdersStack(app, `FerruleOrders-${stage}`, {
  platform,
  stage,
  signupAllowedDomains: contextValue('ferrule:signupAllowedDomains'),
  shippingBaseUrl: contextValue('ferrule:shippingBaseUrl'),
  description: `Ferrule reference service: orders (${stage})`,
  tags: { project: 'ferrule', service: 'orders', stage },
});

// The functions made with `npx ferrule new function`: one file per function in
// infrastructure/functions/, each wired into its service's stack (docs/architecture.md): the
// reference service `orders`, or `functions`, a stack made on first use whose functions get
// their tables, queues, buses and user pools created on first use too.
wireFunctions(
  functions,
  new Map<string, FerruleServiceStack>([
    ['orders', orders],
    ['hello', hello],
  ]),
  (service) =>
    service === 'functions'
      ? new FerruleServiceStack(app, `FerruleFunctions-${stage}`, {
          platform,
          stage,
          serviceName: 'functions',
          createOnFirstUse: true,
          description: `Ferrule functions (${stage})`,
          tags: { project: 'ferrule', stage },
        })
      : undefined,
);

app.synth();

// The CDK app: `npx ferrule synth` (or `npx cdk synth` in this folder) after `npx ferrule build`.
// Synthesizes offline: no account lookups, no credentials.
import { App } from 'aws-cdk-lib';
import { HelloStack } from '../lib/hello-stack.ts';
import { parsePlatform } from '../lib/platform.ts';

const app = new App();
const platform = parsePlatform(String(app.node.tryGetContext('ferrule:platform') ?? 'al2023-x86_64'));
const stage = String(app.node.tryGetContext('ferrule:stage') ?? 'dev');

new HelloStack(app, `FerruleHello-${stage}`, {
  platform,
  description: `Ferrule hello-http (${stage})`,
  tags: { project: 'ferrule', stage },
});

app.synth();

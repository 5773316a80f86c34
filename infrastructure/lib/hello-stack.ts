import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type { Construct } from 'constructs';
import { FerruleHttpApi } from './http-api.ts';
import { lambdaArchitecture, type Platform } from './platform.ts';
import { RustFunction } from './rust-function.ts';
import { FerruleService, type Stage } from './service.ts';

export interface HelloStackProps extends StackProps {
  /** Runtime and architecture the artifacts were built for. */
  readonly platform: Platform;
  /** @default the app's WorkspaceBuild folder (context ferrule:artifacts, else dist/lambda) */
  readonly artifactsDir?: string;
  /** @default context ferrule:stage, else 'dev' */
  readonly stage?: Stage;
}

/** `GET /hello` on an HTTP API, served by the hello-http function. */
export class HelloStack extends Stack {
  constructor(scope: Construct, id: string, props: HelloStackProps) {
    super(scope, id, props);
    const service = new FerruleService(this, 'Service', { serviceName: 'hello', stage: props.stage });
    const hello = new RustFunction(this, 'HelloHttp', {
      crate: 'hello-http',
      service,
      runtime: props.platform.runtime,
      architecture: lambdaArchitecture(props.platform.architecture),
      artifactsDir: props.artifactsDir,
      description: 'GET /hello: JSON greeting',
    });
    const api = new FerruleHttpApi(this, 'Api', { service, description: 'Ferrule hello API' });
    // A public greeting: there is no user pool in this example, so the route opts out explicitly.
    api.addRoute('/hello', hello, {
      methods: [apigwv2.HttpMethod.GET],
      authorized: false,
      publicBecause: 'A public greeting: the example has no user pool, and the route returns no data.',
    });
    new CfnOutput(this, 'HelloUrl', { value: `${api.url}/hello` });
  }
}

import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Construct } from 'constructs';
import type { Platform } from './platform.ts';
import { RustFunction } from './rust-function.ts';

export interface HelloStackProps extends StackProps {
  /** Runtime and architecture the artifacts were built for. */
  readonly platform: Platform;
  /** @default dist/lambda at the project root */
  readonly artifactsDir?: string;
}

/** `GET /hello` on an HTTP API, served by the hello-http function. */
export class HelloStack extends Stack {
  constructor(scope: Construct, id: string, props: HelloStackProps) {
    super(scope, id, props);
    const hello = new RustFunction(this, 'HelloHttp', {
      crate: 'hello-http',
      runtime: props.platform.runtime,
      architecture: props.platform.architecture,
      artifactsDir: props.artifactsDir,
      description: 'GET /hello: JSON greeting',
    });
    const api = new apigwv2.HttpApi(this, 'Api', { description: 'Ferrule hello API' });
    api.addRoutes({
      path: '/hello',
      methods: [apigwv2.HttpMethod.GET],
      integration: new HttpLambdaIntegration('Hello', hello.function),
    });
    new CfnOutput(this, 'HelloUrl', { value: `${api.apiEndpoint}/hello` });
  }
}

import { CfnOutput } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type { Construct } from 'constructs';
import { FerruleHttpApi } from './http-api.ts';
import { FerruleServiceStack, type FerruleServiceStackProps } from './service-stack.ts';

export interface HelloStackProps extends Omit<FerruleServiceStackProps, 'serviceName' | 'createOnFirstUse'> {}

/** `GET /hello` on an HTTP API, served by the hello-http function. */
export class HelloStack extends FerruleServiceStack {
  constructor(scope: Construct, id: string, props: HelloStackProps) {
    super(scope, id, { ...props, serviceName: 'hello' });
    const hello = this.addFunction('HelloHttp', {
      crate: 'hello-http',
      description: 'GET /hello: JSON greeting',
    });
    const api = new FerruleHttpApi(this, 'Api', { service: this.service, description: 'Ferrule hello API' });
    this.resources.registerHttpApi(api);
    api.addRoute('/hello', hello, {
      methods: [apigwv2.HttpMethod.GET],
      // There is no user pool in this example, so the route opts out explicitly.
      authorized: false,
      publicBecause: 'A public greeting: the example has no user pool, and the route returns no data.',
    });
    new CfnOutput(this, 'HelloUrl', { value: `${api.url}/hello` });
  }
}

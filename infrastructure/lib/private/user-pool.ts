import * as cognito from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';
import type { FerruleService } from '../service.ts';
import { acknowledge } from './acknowledge.ts';

/**
 * A user pool with Ferrule's defaults: e-mail sign-in and self sign-up, a strong password
 * policy, optional TOTP MFA, e-mail recovery, and deletion protection and retention by stage.
 * Shared by the reference service and the stack of scaffolded functions.
 */
export function secureUserPool(scope: Construct, id: string, service: FerruleService): cognito.UserPool {
  const pool = new cognito.UserPool(scope, id, {
    signInAliases: { email: true },
    selfSignUpEnabled: true,
    autoVerify: { email: true },
    standardAttributes: { email: { required: true, mutable: true } },
    passwordPolicy: {
      minLength: 12,
      requireLowercase: true,
      requireUppercase: true,
      requireDigits: true,
      requireSymbols: true,
    },
    mfa: cognito.Mfa.OPTIONAL,
    mfaSecondFactor: { otp: true, sms: false },
    accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
    deletionProtection: service.isProduction,
    removalPolicy: service.dataRemovalPolicy,
  });
  acknowledge(
    pool,
    'AwsSolutions-COG2',
    'Users sign up themselves: MFA (TOTP) is offered, not forced; forcing it is a product decision and SMS MFA costs per message.',
  );
  acknowledge(
    pool,
    'AwsSolutions-COG8',
    'The Plus feature plan (threat protection, formerly advanced security) is billed per monthly active user; the pool stays on Essentials.',
  );
  return pool;
}

/**
 * The public client (browser, mobile app) of a user pool: SRP or password sign-in, no hosted
 * UI, so no OAuth flows (CDK would otherwise enable the implicit grant with a placeholder
 * callback URL), and no hint whether a user exists.
 */
export function publicClient(pool: cognito.UserPool): cognito.UserPoolClient {
  return pool.addClient('WebClient', {
    generateSecret: false,
    authFlows: { userSrp: true, userPassword: true },
    disableOAuth: true,
    preventUserExistenceErrors: true,
  });
}

import { readFileSync } from 'node:fs';
import {
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  InitiateAuthCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';

const state = JSON.parse(readFileSync('.ferrule/local-cloud.json', 'utf8'));
const c = new CognitoIdentityProviderClient({
  region: 'eu-west-1',
  endpoint: state.endpoint,
  credentials: { accessKeyId: 't', secretAccessKey: 't' },
});
const ClientId = state.userPools[0].clients[0];
try {
  await c.send(
    new SignUpCommand({
      ClientId,
      Username: 'eve@evil.test',
      Password: 'Passw0rd!xyzA',
      UserAttributes: [{ Name: 'email', Value: 'eve@evil.test' }],
    }),
  );
  console.log('evil accepted?!');
} catch (e) {
  console.log('refused:', e.name, e.message);
}
const s = await c.send(
  new SignUpCommand({
    ClientId,
    Username: 'ada@example.com',
    Password: 'Passw0rd!xyzA',
    UserAttributes: [{ Name: 'email', Value: 'ada@example.com' }],
  }),
);
console.log('signed up', s.UserSub, s.UserConfirmed);
await c.send(new ConfirmSignUpCommand({ ClientId, Username: 'ada@example.com', ConfirmationCode: '123456' }));
const a = await c.send(
  new InitiateAuthCommand({
    ClientId,
    AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: 'ada@example.com', PASSWORD: 'Passw0rd!xyzA' },
  }),
);
const token = a.AuthenticationResult.IdToken;
const api = state.apis.find((x) => x.stack.startsWith('FerruleOrders')).url;
let r = await fetch(`${api}/orders`, { headers: { authorization: `Bearer ${token}` } });
console.log('GET', r.status, await r.text());
r = await fetch(`${api}/orders`, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'k1' },
  body: JSON.stringify({
    currency: 'EUR',
    items: [{ sku: 'MUG-FERRIS', quantity: 2, unitPriceCents: 1250 }],
  }),
});
console.log('POST', r.status, await r.text());
r = await fetch(`${api}/orders`);
console.log('no token', r.status, await r.text(), r.headers.get('www-authenticate'));
r = await fetch(`${api}/orders`, { headers: { authorization: `Bearer ${token.slice(0, -3)}abc` } });
console.log('tampered', r.status, await r.text(), r.headers.get('www-authenticate'));

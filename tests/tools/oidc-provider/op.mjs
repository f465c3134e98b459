// A real OpenID provider for the single sign-on tests (tests/it/sso.rs):
// npm oidc-provider (a certified OP library) with one client for Latchkey
// and a few people. Run by the tests from target/oidc (scripts/bootstrap
// installs the package there):
//   PORT=… REDIRECT_URI=http://127.0.0.1:…/sso/callback node op.mjs
// It prints "listening" once it accepts requests. The dev login form takes
// any password; the login name picks the person.
import Provider from 'oidc-provider';
import { generateKeyPairSync } from 'node:crypto';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const people = {
  alice: { email: 'alice@example.com', email_verified: true, name: 'Alice Admin', groups: ['admins', 'devs'] },
  dave: { email: 'dave@example.com', email_verified: true, name: 'Dave Dev', groups: ['devs'] },
  bob: { email: 'bob@example.com', email_verified: false, name: 'Bob Unverified', groups: [] },
  carol: { email: 'carol@elsewhere.test', email_verified: true, name: 'Carol Elsewhere', groups: ['admins'] },
  member: { email: 'member@acme.test', email_verified: true, name: 'Existing Member', groups: [] },
  outsider: { email: 'outsider@other.test', email_verified: true, name: 'Otto Outsider', groups: ['admins'] },
};
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const provider = new Provider(issuer, {
  clients: [{
    client_id: 'latchkey',
    client_secret: 'latchkey-test-secret',
    redirect_uris: [process.env.REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
  // Claims in the ID token itself, not only at the userinfo endpoint.
  conformIdTokenClaims: false,
  async findAccount(ctx, id) {
    const person = people[id];
    if (!person) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...person }; } };
  },
  cookies: { keys: ['test-only-cookie-key'] },
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', alg: 'RS256', use: 'sig' }] },
  features: { devInteractions: { enabled: true } },
});
provider.listen(port, '127.0.0.1', () => console.log('listening'));

// The comparison in scripts/bench.sh (issue 14): a certified open-source provider,
// panva's oidc-provider from npm, in its default in-memory setup, issuing what
// Portcullis issues — ES256-signed JWT access tokens for one API to a service client
// (client_credentials, client_secret_basic) — and introspecting tokens. Its JWT
// access tokens cannot be introspected ("structured tokens"), so a second client,
// `<client id>-opaque`, gets its default opaque tokens for the introspection run.
//
//   node scripts/node_provider.mjs <oidc-provider dir> <port> <client id> <secret> <api> [flow <redirect uri>]
//
// With `flow <redirect uri>` (scripts/bench_flow.sh), two confidential web clients
// are added too (authorization_code, response_type code, scope openid,
// client_secret_basic, that one redirect URI): `<client id>-web` with the default
// RS256 ID tokens and `<client id>-web-es256` with ES256 ones. The provider's own
// dev interactions (a sign-in form taking any login, and a consent form) are turned
// on, so that a script can sign a person in and consent once; the session and the
// Grant stay in the in-memory adapter, so later authorization requests with the
// session cookie answer a code directly. Everything else is the provider's defaults
// (opaque access tokens for these clients). Without `flow`, devInteractions stay
// off, as bench.sh runs it.
//
// The provider is installed by bench.sh into a cache folder, never into the
// repository. Prints "ready" when it listens.
import { generateKeyPairSync } from 'node:crypto';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, port, clientId, secret, api, mode, redirectUri] = process.argv.slice(2);
const flow = mode === 'flow';
if (mode !== undefined && !(flow && redirectUri)) {
  throw new Error(`unknown mode ${mode}: expected "flow <redirect uri>" or nothing`);
}
const { default: Provider } = await import(
  pathToFileURL(path.join(dir, 'node_modules/oidc-provider/lib/index.js')).href
);

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [clientId, `${clientId}-opaque`].map((id) => ({
    client_id: id,
    client_secret: secret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'registrations:read',
  })).concat(flow ? [['web', 'RS256'], ['web-es256', 'ES256']].map(([suffix, alg]) => ({
    client_id: `${clientId}-${suffix}`,
    client_secret: secret,
    grant_types: ['authorization_code'],
    redirect_uris: [redirectUri],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'openid',
    id_token_signed_response_alg: alg,
  })) : []),
  // ID tokens need an RS256 key by OIDC's default; access tokens are signed ES256.
  jwks: { keys: [{ ...ec, use: 'sig', kid: 'es' }, { ...rsa, use: 'sig', kid: 'rs' }] },
  scopes: ['openid', 'registrations:read'],
  features: {
    devInteractions: { enabled: flow },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (_ctx, client) => (client.clientId === clientId ? api : undefined),
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'registrations:read',
        accessTokenFormat: 'jwt',
        accessTokenTTL: 600,
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});
provider.proxy = false;
provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));

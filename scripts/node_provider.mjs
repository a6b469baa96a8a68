// The comparison in scripts/bench.sh (issue 14): a certified open-source provider,
// panva's oidc-provider from npm, in its default in-memory setup, issuing what
// Portcullis issues — ES256-signed JWT access tokens for one API to a service client
// (client_credentials, client_secret_basic) — and introspecting tokens. Its JWT
// access tokens cannot be introspected ("structured tokens"), so a second client,
// `<client id>-opaque`, gets its default opaque tokens for the introspection run.
//
//   node scripts/node_provider.mjs <oidc-provider dir> <port> <client id> <secret> <api>
//
// The provider is installed by bench.sh into a cache folder, never into the
// repository. Prints "ready" when it listens.
import { generateKeyPairSync } from 'node:crypto';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, port, clientId, secret, api] = process.argv.slice(2);
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
  })),
  // ID tokens need an RS256 key by OIDC's default; access tokens are signed ES256.
  jwks: { keys: [{ ...ec, use: 'sig', kid: 'es' }, { ...rsa, use: 'sig', kid: 'rs' }] },
  scopes: ['openid', 'registrations:read'],
  features: {
    devInteractions: { enabled: false },
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

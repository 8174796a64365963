// An independent upstream OpenID provider for the federation tests: node-oidc-provider
// (bench/node_modules), one process, in-memory adapter, on 127.0.0.1.
//
// Usage: node tests/federation/node_upstream.mjs <port> <settings.json>
//   settings.json: {
//     "clients": [{"client_id", "client_secret", "redirect_uris": [...],
//                  "post_logout_redirect_uris": [...], "backchannel_logout_uri"?}],
//     "accounts": {"<accountId>": {<claims>}}
//   }
//
// The stock development interactions (devInteractions) serve the login and consent
// pages: plain HTML forms, any password is accepted for a login found in "accounts".
// Prints "listening on <issuer>" on stdout once it serves; errors go to stderr.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [port, settingsPath] = process.argv.slice(2);
if (!port || !settingsPath) {
  console.error('usage: node tests/federation/node_upstream.mjs <port> <settings.json>');
  process.exit(2);
}
const settings = JSON.parse(readFileSync(settingsPath, 'utf8'));
const issuer = `http://127.0.0.1:${port}`;

// node-oidc-provider announces its development-only conveniences (devInteractions, the
// in-memory adapter, stock pages, a runtime older than it prefers) on every start and on
// first use; a test harness uses them on purpose, so those notices are dropped. Any other
// notice or warning still reaches stderr.
const EXPECTED_NOTICES = [
  /^oidc-provider NOTICE: /,
  /^oidc-provider WARNING: Unsupported runtime/,
  /^oidc-provider WARNING: a quick start development-only/,
  /^oidc-provider WARNING: default \S+ function called/,
];
for (const method of ['info', 'warn']) {
  const original = console[method].bind(console);
  console[method] = (first, ...rest) => {
    // eslint-disable-next-line no-control-regex
    const text = typeof first === 'string' ? first.replace(/\x1b\[[0-9;]*m/g, '') : '';
    if (!EXPECTED_NOTICES.some((pattern) => pattern.test(text))) {
      original(first, ...rest);
    }
  };
}

// The package lives in bench/node_modules (bench/package.json pins it), not next to this
// file, so it is resolved from there; imported only after the console filter is in place.
const here = dirname(fileURLToPath(import.meta.url));
const bench = resolve(here, '..', '..', 'bench');
const requireFromBench = createRequire(join(bench, 'package.json'));
const { default: Provider } = await import(
  pathToFileURL(requireFromBench.resolve('oidc-provider')).href
);

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, alg: 'RS256', use: 'sig', kid: randomBytes(8).toString('hex') };
}

function clientMetadata(client) {
  const metadata = {
    client_id: client.client_id,
    client_secret: client.client_secret,
    application_type: 'web', // http:// redirect URIs are allowed for web code-flow clients
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: client.redirect_uris,
    post_logout_redirect_uris: client.post_logout_redirect_uris ?? [],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
    scope: 'openid profile phone citizen_id',
  };
  if (client.backchannel_logout_uri) {
    metadata.backchannel_logout_uri = client.backchannel_logout_uri;
    metadata.backchannel_logout_session_required = true;
  }
  return metadata;
}

function isLoopback(url) {
  const { hostname } = new URL(url);
  return hostname === '127.0.0.1' || hostname === '[::1]' || hostname === 'localhost';
}

const accounts = settings.accounts ?? {};

const provider = new Provider(issuer, {
  clients: (settings.clients ?? []).map(clientMetadata),
  claims: {
    openid: ['sub'],
    profile: ['name', 'birthdate'],
    phone: ['phone_number', 'phone_number_verified'],
    citizen_id: ['citizen_id'],
  },
  // Cookies ignore ports: names of its own, so they never collide with the cookies of a
  // provider under test that shares the 127.0.0.1 host.
  cookies: {
    keys: [randomBytes(32).toString('hex')],
    names: {
      session: 'upstream_session',
      interaction: 'upstream_interaction',
      resume: 'upstream_interaction_resume',
    },
  },
  features: {
    devInteractions: { enabled: true },
    userinfo: { enabled: true },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  // Outgoing requests (back-channel logout tokens) go through a dispatcher that refuses
  // special-use addresses, loopback included; the receivers here are all on 127.0.0.1.
  fetch: (url, options) => {
    const { dispatcher, ...rest } = options;
    return globalThis.fetch(url, isLoopback(url) ? rest : options);
  },
  findAccount: async (ctx, sub) => {
    if (!Object.hasOwn(accounts, sub)) {
      return undefined;
    }
    return {
      accountId: sub,
      claims: async () => ({ ...accounts[sub], sub }),
    };
  },
  jwks: { keys: [signingKey()] },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 600,
    Grant: 3600,
    IdToken: 3600,
    Interaction: 600,
    Session: 3600,
  },
});

provider.on('server_error', (ctx, error) => {
  console.error(`server_error on ${ctx.method} ${ctx.path}:`, error);
});
provider.on('backchannel.error', (ctx, error, client) => {
  console.error(`back-channel logout to ${client.backchannelLogoutUri} failed:`, error);
});

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`listening on ${issuer}`);
});

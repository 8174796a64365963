// The anchor: node-oidc-provider, one process, in-memory adapter, configured like the
// provider under test (a confidential client_secret_basic client allowed
// authorization_code and client_credentials; introspection and userinfo enabled; RS256).
//
// Usage: node bench/anchor.mjs <port> <control-port> <settings.json>
//   settings.json: {"client_id", "client_secret", "redirect_uri"}
//
// The control port (never loaded by the benchmark) mints authorization codes
// programmatically, as a finished interaction would: POST /mint?count=N answers N lines
// "<code> <code_verifier>", each code with its own grant and S256 challenge.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

const [port, controlPort, settingsPath] = process.argv.slice(2);
const settings = JSON.parse(readFileSync(settingsPath, 'utf8'));
const issuer = `http://127.0.0.1:${port}`;
const ACCOUNT_ID = 'bench-citizen-1';

// The stock memory adapter keeps 1,000 entries; pre-minted codes need room.
const store = new LRU({ maxSize: 5_000_000 });

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, alg: 'RS256', use: 'sig', kid: randomBytes(8).toString('hex') };
}

const provider = new Provider(issuer, {
  adapter: (model) => new MemoryAdapter(model, store),
  clients: [{
    client_id: settings.client_id,
    client_secret: settings.client_secret,
    grant_types: ['authorization_code', 'client_credentials'],
    response_types: ['code'],
    redirect_uris: [settings.redirect_uri],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'openid profile phone',
  }],
  claims: {
    openid: ['sub'],
    profile: ['name', 'birthdate', 'gender'],
    phone: ['phone_number', 'phone_number_verified'],
  },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    userinfo: { enabled: true },
  },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({
      sub,
      name: 'Nguyễn Văn An',
      birthdate: '1990-05-17',
      gender: 'male',
      phone_number: '+84912345678',
      phone_number_verified: true,
    }),
  }),
  jwks: { keys: [signingKey()] },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 600,
    ClientCredentials: 3600,
    Grant: 3600,
    IdToken: 3600,
    Interaction: 600,
    Session: 3600,
  },
});

function base64url(buffer) {
  return buffer.toString('base64url');
}

async function mintCode(client) {
  const grant = new provider.Grant({ accountId: ACCOUNT_ID, clientId: client.clientId });
  grant.addOIDCScope('openid profile phone');
  const grantId = await grant.save();
  const verifier = base64url(randomBytes(48));
  const code = new provider.AuthorizationCode({
    accountId: ACCOUNT_ID,
    acr: 'LoA1',
    amr: ['pwd', 'sms', 'mfa'],
    authTime: Math.floor(Date.now() / 1000),
    client,
    codeChallenge: base64url(createHash('sha256').update(verifier).digest()),
    codeChallengeMethod: 'S256',
    expiresWithSession: false,
    grantId,
    nonce: base64url(randomBytes(12)),
    redirectUri: settings.redirect_uri,
    scope: 'openid profile phone',
  });
  return `${await code.save()} ${verifier}`;
}

const control = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (req.method !== 'POST' || url.pathname !== '/mint') {
    res.writeHead(404).end();
    return;
  }
  const count = Number.parseInt(url.searchParams.get('count') ?? '0', 10);
  if (!(count > 0 && count <= 1_000_000)) {
    res.writeHead(400).end('count must be between 1 and 1000000\n');
    return;
  }
  const client = await provider.Client.find(settings.client_id);
  const lines = [];
  for (let i = 0; i < count; i += 1) {
    lines.push(await mintCode(client));
  }
  res.writeHead(200, { 'content-type': 'text/plain' }).end(`${lines.join('\n')}\n`);
});

provider.listen(Number(port), '127.0.0.1', () => {
  control.listen(Number(controlPort), '127.0.0.1', () => {
    console.log(`anchor listening on ${issuer} (control on ${controlPort})`);
  });
});

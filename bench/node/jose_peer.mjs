// Validate the benchmark's ID-JAG with Node `jose`, with the same checks as ema (typ, alg
// pinned to ES256, iss, aud, exp/iat, client_id, resource, jti), the key imported once.
// Prints {"peer": ..., "median_ns": ...}.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { importJWK, jwtVerify } from 'jose';

const fx = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const repeats = Number(process.argv[3] ?? 7);
const require = createRequire(import.meta.url);
const joseVersion = require('jose/package.json').version;
const key = await importJWK(fx.jwk, 'ES256');
const options = {
  issuer: fx.issuer,
  audience: fx.audience,
  algorithms: ['ES256'],
  typ: fx.typ,
  requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id', 'resource'],
};

async function validate() {
  const { payload } = await jwtVerify(fx.token, key, options);
  if (payload.client_id !== fx.client_id || payload.resource !== fx.resource) {
    throw new Error('client_id/resource');
  }
  return payload;
}

await validate();
let n = 0;
const t0 = process.hrtime.bigint();
while (process.hrtime.bigint() - t0 < 50_000_000n) {
  await validate();
  n += 1;
}
n = Math.max(10, n * 4);
const samples = [];
for (let r = 0; r < repeats; r += 1) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i += 1) {
    await validate();
  }
  samples.push(Number(process.hrtime.bigint() - start) / n);
}
samples.sort((a, b) => a - b);
console.log(JSON.stringify({ peer: `jose ${joseVersion} (Node ${process.version})`, median_ns: samples[Math.floor(samples.length / 2)] }));

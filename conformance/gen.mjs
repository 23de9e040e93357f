// gen.mjs writes corpus.json: hookgate's provider-signature conformance cases.
//
// Every case is signed by the provider's own SDK, or signed here from the
// provider's documentation and then confirmed by that SDK's verifier (the
// verdict is kept in `sdk_check`). Providers that publish no verifier on npm
// are signed from their docs only, and say so in `signed_by`.
//
// Each case is a complete HTTP request for hookgate (method, path under
// /in/{source}, raw query, headers, exact body) plus the source config that
// hookgate must be given (`config`) and what hookgate must answer (`expect`,
// `expected_response`). conformance_test.go replays them against the real
// binary. The corpus is regenerated on every run so timestamped cases are
// fresh: Paddle's valid case lives for 5 s only.
//
// Run:  node gen.mjs [--out corpus.json]
// Exit: 1 when an SDK verdict disagrees with a case's `expect` and no recorded
// divergence explains it, or when a stale case does not verify at its own
// signing time (so it is stale, not broken).

import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------- SDKs
// Loaded before the clock is read, so that slow module loading does not eat
// into the short timestamp windows (Paddle: 5 s).
const octokit = await import('@octokit/webhooks-methods');
const Stripe = (await import('stripe')).default;
const { Webhook: StdWebhook } = require('standardwebhooks');
const { Webhook: SvixWebhook } = require('svix');
await import('@shopify/shopify-api/adapters/node');
const { shopifyApi, ApiVersion, LogSeverity } = await import('@shopify/shopify-api');
const { getHmac } = await import('@shopify/shopify-api/test-helpers');
const { verifySlackRequest } = require('@slack/bolt');
const { verifyRequestSignature } = require('@slack/events-api');
const twilio = require('twilio');
const { SMS } = require('@vonage/sms');
const { AlgorithmTypes } = require('@vonage/auth');
const { verifySignature: vonageJwtVerify } = require('@vonage/jwt');
const jwt = require('jsonwebtoken');
const { verifyKey: discordVerifyKey } = require('discord-interactions');
const { EventSubHttpListener } = require('@twurple/eventsub-http');
const { Paddle } = require('@paddle/paddle-node-sdk');
const { WebhooksHelper } = require('square');
const { EventWebhook, EventWebhookHeader } = require('@sendgrid/eventwebhook');
const { LinearWebhookClient } = await import('@linear/sdk/webhooks');
const { AwsLambdaReceiver } = require('@zoom/rivet/meetings');
const { Signature: HubSpotSignature } = require('@hubspot/api-client');

// ---------------------------------------------------------------- clock
const NOW_MS = Date.now();
const NOW = Math.floor(NOW_MS / 1000);
const GEN_ISO = new Date(NOW_MS).toISOString();

// ---------------------------------------------------------------- helpers
const hmac = (alg, key, data, enc) => crypto.createHmac(alg, key).update(data).digest(enc);
const hash = (alg, data, enc) => crypto.createHash(alg).update(data).digest(enc);
const uuid = () => crypto.randomUUID();
const rnd = (n) => crypto.randomBytes(n).toString('hex');
const pkgVersion = (name) => JSON.parse(fs.readFileSync(path.join(HERE, 'node_modules', name, 'package.json'), 'utf8')).version;

// The public origin the providers are told to send to. hookgate sits behind
// it (a TLS-terminating proxy); the test sends to 127.0.0.1 instead, so the
// schemes that sign the URL get `public_url` in their source config.
const HOST = 'hooks.example.com';
const BASE = `https://${HOST}`;
const publicURL = (source) => `${BASE}/in/${source}`;

// Non-ASCII text in every body, so byte/UTF-8 handling is exercised.
const UNI = 'Caf\u00e9 \u2713 \u65e5\u672c';

// Pin Date.now() and argument-less new Date() while an SDK verifier runs, so
// every recorded verdict is "as of evaluate_at_unix".
const RealDate = Date;
async function withClock(unix, fn) {
  const ms = unix * 1000;
  globalThis.Date = class extends RealDate {
    constructor(...a) { if (a.length === 0) super(ms); else super(...a); }
    static now() { return ms; }
  };
  try { return await fn(); } finally { globalThis.Date = RealDate; }
}

// Test-only key pairs derived from fixed seeds, so that every run yields the
// same source configs: the test starts hookgate before it generates the
// corpus it sends, and the public keys are part of the config.
const seed = (label) => crypto.createHash('sha256').update(`hookgate-conformance ${label}`).digest();
function ed25519Pair(label) {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed(label)]);
  const privateKey = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: crypto.createPublicKey(privateKey) };
}
function p256Pair(label) {
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.setPrivateKey(seed(label));
  const pub = ecdh.getPublicKey();
  const b64u = (b) => b.toString('base64url');
  const privateKey = crypto.createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64u(ecdh.getPrivateKey()), x: b64u(pub.subarray(1, 33)), y: b64u(pub.subarray(33)) }, format: 'jwk' });
  return { privateKey, publicKey: crypto.createPublicKey(privateKey) };
}

// tamper refuses to produce an unchanged body.
function tamper(b, from, to) {
  const out = b.replace(from, to);
  if (out === b) throw new Error(`tamper(): pattern ${from} not found`);
  return out;
}

// sdk runs an SDK verifier at a pinned clock (default: generation time); a
// throw counts as "reject". The record keeps a hidden rerun(at) so stale cases
// can be checked at their own signing time.
async function sdk(pkg, fn, run, { at = NOW } = {}) {
  const once = async (t) => {
    try {
      const r = await withClock(t, run);
      return { verdict: r === true || (r && r.valid === true) ? 'accept' : 'reject', detail: r && typeof r === 'object' ? r.detail : undefined };
    } catch (e) {
      return { verdict: 'reject', detail: String(e && e.message ? e.message : e).split('\n')[0].slice(0, 200) };
    }
  };
  const rec = { package: `${pkg}@${pkgVersion(pkg)}`, function: fn, evaluated_at_unix: at };
  const r = await once(at);
  rec.verdict = r.verdict;
  if (r.detail !== undefined) rec.detail = r.detail;
  Object.defineProperty(rec, 'rerun', { enumerable: false, value: once });
  return rec;
}

const PROVIDERS = {}; // corpus provider -> {preset, scheme_notes, docs}
function provider(name, preset, scheme_notes, docs) { PROVIDERS[name] = { preset, scheme_notes, docs }; }

const SOURCES = {}; // source name -> config, shared by every case sent to it
const cases = [];

// add records a case. c.source names the hookgate source it is sent to;
// c.config is that source's config (all cases of one source must agree),
// whose provider is the provider's preset unless c.preset names another.
function add(c) {
  const p = PROVIDERS[c.provider];
  if (!p) throw new Error(`unknown provider ${c.provider}`);
  if (cases.some((o) => o.id === c.id)) throw new Error(`duplicate case id ${c.id}`);
  const config = { provider: c.preset || p.preset, ...c.config };
  const prev = SOURCES[c.source];
  if (prev && JSON.stringify(prev) !== JSON.stringify(config)) {
    throw new Error(`${c.id}: source ${c.source} already has another config`);
  }
  SOURCES[c.source] = config;
  const expected = c.expected_response || (c.expect === 'accept'
    ? { status: 200, accepted: true }
    : { status_in: [400, 401, 403] });
  cases.push({
    id: c.id,
    provider: c.provider,
    category: c.category,
    expect: c.expect,
    strictness: c.strictness || 'required',
    reason: c.reason,
    source: c.source,
    config,
    method: c.method || 'POST',
    path: `/in/${c.source}`,
    query: c.query || '',
    signed_url: c.signed_url || null,
    headers: c.headers,
    body: c.body ?? '',
    expected_response: expected,
    signed_by: c.signed_by,
    sdk_check: c.sdk_check || null,
    divergence: c.divergence || null,
    signed_at_unix: c.signed_at_unix ?? null,
    tolerance_s: c.tolerance_s ?? null,
    doc_refs: c.doc_refs || p.docs,
  });
}

// without returns a case like base with the named headers removed: the
// signature is missing, so hookgate must refuse.
function without(base, id, names, reason) {
  const drop = new Set(names.map((n) => n.toLowerCase()));
  const headers = Object.fromEntries(Object.entries(base.headers).filter(([k]) => !drop.has(k.toLowerCase())));
  if (Object.keys(headers).length === Object.keys(base.headers).length) throw new Error(`${id}: no header removed`);
  return { ...base, id, category: 'missing_signature', expect: 'reject', strictness: 'required', headers,
    reason: reason || `Signature header(s) ${names.join(', ')} removed.`, signed_by: 'derived: signature removed', sdk_check: null, divergence: null };
}

// A tolerance long enough to evaluate a published test vector signed at kt
// until 2100 (the gateway's clock cannot be pinned from outside). It does not
// depend on the clock, so that every run yields the same source configs.
const vectorTolerance = (kt) => `${Math.ceil((Date.UTC(2100, 0, 1) / 1000 - kt) / 3600)}h`;

// =====================================================================
// GitHub: @octokit/webhooks-methods sign()/verify()
// =====================================================================
{
  provider('github', 'github',
    'X-Hub-Signature-256: "sha256=" + lowercase hex HMAC-SHA256(secret, raw body). Legacy X-Hub-Signature: "sha1=" + hex HMAC-SHA1. No timestamp; dedup on X-GitHub-Delivery.',
    ['https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries']);
  const { sign, verify } = octokit;
  const SECRET = 'gh_whsec_9f3a1c7e5b2d4068a1b2';
  const body = JSON.stringify({
    ref: 'refs/heads/main', before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246', after: '59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5',
    repository: { id: 186853002, name: 'hello-world', full_name: 'octo-org/hello-world', private: false },
    pusher: { name: 'octocat', email: 'octocat@github.com' },
    head_commit: { id: '59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5', message: `Fix encoding: ${UNI}` },
  });
  const hdr = (sig256, sig1, ct = 'application/json') => {
    const h = { 'Content-Type': ct, 'User-Agent': 'GitHub-Hookshot/7d5bb9e', 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': uuid(), 'X-GitHub-Hook-ID': '517493020' };
    if (sig1) h['X-Hub-Signature'] = sig1;
    if (sig256) h['X-Hub-Signature-256'] = sig256;
    return h;
  };
  const s256 = await sign(SECRET, body);
  const s1 = 'sha1=' + hmac('sha1', SECRET, body, 'hex');
  const P = { provider: 'github', source: 'github', config: { secret: SECRET } };
  const chk = (b, s, key = SECRET) => sdk('@octokit/webhooks-methods', 'verify(secret, payload, signature)', () => verify(key, b, s));
  const valid = { ...P, id: 'github-valid', category: 'valid', expect: 'accept', headers: hdr(s256, s1), body,
    reason: 'Signed by @octokit/webhooks-methods sign() over the exact raw body (non-ASCII UTF-8).', signed_by: 'sdk:@octokit/webhooks-methods sign()', sdk_check: await chk(body, s256) };
  add(valid);
  const tb = tamper(body, 'octocat@github.com', 'attacker@evil.test');
  add({ ...P, id: 'github-tampered-body', category: 'tampered_body', expect: 'reject', headers: hdr(s256, s1), body: tb,
    reason: 'Body changed after signing.', signed_by: 'sdk:@octokit/webhooks-methods sign() (then body altered)', sdk_check: await chk(tb, s256) });
  const ws = await sign('not-the-configured-secret', body);
  add({ ...P, id: 'github-wrong-secret', category: 'wrong_secret', expect: 'reject', headers: hdr(ws, 'sha1=' + hmac('sha1', 'not-the-configured-secret', body, 'hex')), body,
    reason: 'Signed with another secret.', signed_by: 'sdk:@octokit/webhooks-methods sign() with wrong secret', sdk_check: await chk(body, ws) });
  add(without(valid, 'github-missing-signature', ['X-Hub-Signature-256', 'X-Hub-Signature']));
  const fb = 'payload=' + encodeURIComponent(body);
  const fs256 = await sign(SECRET, fb);
  add({ ...P, id: 'github-valid-form-encoded', category: 'valid', expect: 'accept', headers: hdr(fs256, 'sha1=' + hmac('sha1', SECRET, fb, 'hex'), 'application/x-www-form-urlencoded'), body: fb,
    reason: 'Content type x-www-form-urlencoded: the MAC covers the raw "payload=<urlencoded JSON>" string, not the decoded JSON.',
    signed_by: 'sdk:@octokit/webhooks-methods sign()', sdk_check: await chk(fb, fs256) });
  add({ ...P, id: 'github-legacy-sha1-only', category: 'edge', expect: 'reject', strictness: 'sdk-parity', headers: hdr(null, s1), body,
    reason: 'Only the legacy sha1 X-Hub-Signature (valid). octokit v6 verifies sha256 only and GitHub recommends sha256.',
    signed_by: 'own-code HMAC-SHA1', sdk_check: await chk(body, s1) });
  const KS = "It's a Secret to Everybody", KB = 'Hello, World!';
  const kh = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
  add({ provider: 'github', source: 'github-vector', config: { secret: KS }, id: 'github-docs-test-vector', category: 'known_answer', expect: 'accept',
    headers: hdr(kh, null, 'text/plain'), body: KB, reason: 'Test vector from GitHub docs.', signed_by: 'provider docs test vector', sdk_check: await chk(KB, kh, KS) });
}

// =====================================================================
// Stripe: stripe.webhooks.generateTestHeaderString / constructEvent
// =====================================================================
{
  provider('stripe', 'stripe',
    'Stripe-Signature: "t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>" (several v1 during rotation; test mode adds a v0 to ignore). Key = the whole "whsec_..." string, verbatim. Tolerance 300 s.',
    ['https://docs.stripe.com/webhooks#verify-events', 'https://github.com/stripe/stripe-node/blob/master/src/Webhooks.ts']);
  const stripe = new Stripe('sk_test_conformance_not_a_real_key');
  const SECRET = 'whsec_3c9bKq7TnV2xY8mP4rS6uW1zA5dF0gHj';
  const evt = { id: 'evt_1PqZ8xLkdIwHu7ix0' + rnd(3), object: 'event', api_version: '2024-06-20', created: NOW,
    data: { object: { id: 'pi_3PqZ8xLkdIwHu7ix1XYZ', object: 'payment_intent', amount: 2000, currency: 'eur', description: UNI, status: 'succeeded' } },
    livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type: 'payment_intent.succeeded' };
  const body = JSON.stringify(evt, null, 2); // Stripe sends pretty-printed JSON
  const gen = (t, secret = SECRET) => stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: t });
  const H = (sig) => ({ 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)', 'Stripe-Signature': sig });
  const chk = (b, h) => sdk('stripe', 'webhooks.constructEvent(payload, header, secret) [tolerance 300]', () => { stripe.webhooks.constructEvent(b, h, SECRET); return true; });
  const P = { provider: 'stripe', source: 'stripe', config: { secret: SECRET }, tolerance_s: 300 };
  const h = gen(NOW);
  const valid = { ...P, id: 'stripe-valid', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: H(h), body,
    reason: 'Header from stripe.webhooks.generateTestHeaderString(); pretty-printed body.', signed_by: 'sdk:stripe generateTestHeaderString()', sdk_check: await chk(body, h) };
  add(valid);
  const tb = tamper(body, '"amount": 2000', '"amount": 1');
  add({ ...P, id: 'stripe-tampered-body', category: 'tampered_body', expect: 'reject', signed_at_unix: NOW, headers: H(h), body: tb,
    reason: 'Amount changed after signing.', signed_by: 'sdk:stripe generateTestHeaderString() (then body altered)', sdk_check: await chk(tb, h) });
  const wh = gen(NOW, 'whsec_someOtherEndpointSecret0000000');
  add({ ...P, id: 'stripe-wrong-secret', category: 'wrong_secret', expect: 'reject', signed_at_unix: NOW, headers: H(wh), body,
    reason: "Signed with another endpoint's whsec_.", signed_by: 'sdk:stripe generateTestHeaderString() with wrong secret', sdk_check: await chk(body, wh) });
  add(without(valid, 'stripe-missing-signature', ['Stripe-Signature']));
  const st = NOW - 900; const sh = gen(st);
  add({ ...P, id: 'stripe-stale-timestamp', category: 'stale_timestamp', expect: 'reject', signed_at_unix: st, headers: H(sh), body,
    reason: 'Correct signature, t is 900 s old (> 300 s).', signed_by: 'sdk:stripe generateTestHeaderString({timestamp: now-900})', sdk_check: await chk(body, sh) });
  const ft = NOW + 900; const fh = gen(ft);
  add({ ...P, id: 'stripe-future-timestamp', category: 'edge', expect: 'reject', strictness: 'policy', signed_at_unix: ft, headers: H(fh), body,
    reason: 'Correct signature, t is 900 s in the future. Stripe docs: reject when the timestamp is outside the tolerance; hookgate bounds both directions.',
    divergence: 'stripe-node only rejects past timestamps, so it accepts a far-future t.', signed_by: 'sdk:stripe generateTestHeaderString({timestamp: now+900})', sdk_check: await chk(body, fh) });
  const old = gen(NOW, 'whsec_previousSecretBeforeRoll00000');
  const rot = `t=${NOW},v1=${old.split('v1=')[1]},v1=${h.split('v1=')[1]}`;
  add({ ...P, id: 'stripe-rotation-two-v1', category: 'edge', expect: 'accept', signed_at_unix: NOW, headers: H(rot), body,
    reason: 'During a secret roll Stripe sends one v1 per active secret; accept if any v1 matches.', signed_by: 'sdk:stripe generateTestHeaderString() x2, merged', sdk_check: await chk(body, rot) });
  const v0 = `${h},v0=${rnd(32)}`;
  add({ ...P, id: 'stripe-valid-with-test-mode-v0', category: 'edge', expect: 'accept', signed_at_unix: NOW, headers: H(v0), body,
    reason: 'Test-mode deliveries append a v0 signature that must be ignored.', signed_by: 'sdk:stripe generateTestHeaderString() + appended v0', sdk_check: await chk(body, v0) });
}

// =====================================================================
// Standard Webhooks and Svix: Webhook.sign()/verify()
// =====================================================================
{
  provider('standardwebhooks', 'standardwebhooks',
    'webhook-id, webhook-timestamp (unix s), webhook-signature "v1,<base64 HMAC-SHA256(key, id.ts.body)>" (space-separated list). Key = base64-decoded part after "whsec_". Tolerance 300 s, both directions.',
    ['https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md']);
  const SECRET = 'whsec_' + Buffer.from('conformance-standard-webhooks-32').toString('base64');
  const wh = new StdWebhook(SECRET);
  const other = new StdWebhook('whsec_' + Buffer.from('another-endpoint-secret-32-bytes').toString('base64'));
  const id = 'msg_' + rnd(12);
  const body = JSON.stringify({ type: 'invoice.paid', timestamp: GEN_ISO, data: { id: 'inv_' + rnd(6), customer: UNI, amount: 4200 } });
  const sig = (t, b = body, w = wh) => w.sign(id, new Date(t * 1000), b);
  const H = (i, t, s) => ({ 'Content-Type': 'application/json', 'webhook-id': i, 'webhook-timestamp': String(t), 'webhook-signature': s });
  const chk = (b, h, key = SECRET) => sdk('standardwebhooks', 'new Webhook(secret).verify(payload, headers)', () => { new StdWebhook(key).verify(b, h); return true; });
  const P = { provider: 'standardwebhooks', source: 'standardwebhooks', config: { secret: SECRET }, tolerance_s: 300 };
  const h = H(id, NOW, sig(NOW));
  const valid = { ...P, id: 'standardwebhooks-valid', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: h, body,
    reason: 'Signed by standardwebhooks Webhook.sign().', signed_by: 'sdk:standardwebhooks Webhook.sign()', sdk_check: await chk(body, h) };
  add(valid);
  const tb = tamper(body, '4200', '1');
  add({ ...P, id: 'standardwebhooks-tampered-body', category: 'tampered_body', expect: 'reject', signed_at_unix: NOW, headers: h, body: tb,
    reason: 'Body altered after signing.', signed_by: 'sdk:standardwebhooks Webhook.sign() (then body altered)', sdk_check: await chk(tb, h) });
  const w2 = H(id, NOW, sig(NOW, body, other));
  add({ ...P, id: 'standardwebhooks-wrong-secret', category: 'wrong_secret', expect: 'reject', signed_at_unix: NOW, headers: w2, body,
    reason: 'Signed with another endpoint secret.', signed_by: 'sdk:standardwebhooks Webhook.sign() with wrong secret', sdk_check: await chk(body, w2) });
  add(without(valid, 'standardwebhooks-missing-signature', ['webhook-signature']));
  const st = NOW - 900; const sh = H(id, st, sig(st));
  add({ ...P, id: 'standardwebhooks-stale-timestamp', category: 'stale_timestamp', expect: 'reject', signed_at_unix: st, headers: sh, body,
    reason: 'Valid signature, timestamp 900 s old.', signed_by: 'sdk:standardwebhooks Webhook.sign()', sdk_check: await chk(body, sh) });
  const ft = NOW + 900; const fh = H(id, ft, sig(ft));
  add({ ...P, id: 'standardwebhooks-future-timestamp', category: 'edge', expect: 'reject', signed_at_unix: ft, headers: fh, body,
    reason: 'Valid signature, timestamp 900 s in the future (the spec bounds both directions).', signed_by: 'sdk:standardwebhooks Webhook.sign()', sdk_check: await chk(body, fh) });
  const multi = H(id, NOW, `${sig(NOW, body, other)} ${sig(NOW)}`);
  add({ ...P, id: 'standardwebhooks-multiple-signatures', category: 'edge', expect: 'accept', signed_at_unix: NOW, headers: multi, body,
    reason: 'Space-separated list (rotation): an old key first, then the valid one.', signed_by: 'sdk:standardwebhooks Webhook.sign() x2', sdk_check: await chk(body, multi) });
  const KS = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', KI = 'msg_p5jXN8AQM9LWM0D4loKWxJek', KT = 1614265330, KB = '{"test": 2432232314}';
  const kh = H(KI, KT, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  add({ provider: 'standardwebhooks', source: 'standardwebhooks-vector', config: { secret: KS, tolerance: vectorTolerance(KT) },
    id: 'standardwebhooks-spec-test-vector', category: 'known_answer', expect: 'accept', signed_at_unix: KT, headers: kh, body: KB,
    reason: 'Published spec vector (signed at 1614265330); the source gets a tolerance long enough to cover its age.', signed_by: 'spec test vector',
    sdk_check: await sdk('standardwebhooks', 'Webhook.verify() at the vector time', () => { new StdWebhook(KS).verify(KB, kh); return true; }, { at: KT }) });

  provider('svix', 'svix',
    'Standard Webhooks with svix-id, svix-timestamp, svix-signature headers; whsec_ secret base64-decoded; 300 s.',
    ['https://docs.svix.com/receiving/verifying-payloads/how-manual']);
  const SS = 'whsec_' + Buffer.from('svix-conformance-secret-32bytes!').toString('base64');
  const sv = new SvixWebhook(SS);
  const sid = 'msg_' + rnd(12);
  const sb = JSON.stringify({ type: 'user.created', data: { id: 'user_29w83sxmDNGwOuEthce5gg56FcC', email_addresses: [{ email_address: 'ex@example.org' }], first_name: UNI } });
  const SH = (t, s) => ({ 'Content-Type': 'application/json', 'svix-id': sid, 'svix-timestamp': String(t), 'svix-signature': s });
  const schk = (b, h2) => sdk('svix', 'new Webhook(secret).verify(payload, headers)', () => { new SvixWebhook(SS).verify(b, h2); return true; });
  const SP = { provider: 'svix', source: 'svix', config: { secret: SS }, tolerance_s: 300 };
  const vh = SH(NOW, sv.sign(sid, new Date(NOW * 1000), sb));
  const svalid = { ...SP, id: 'svix-valid', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: vh, body: sb,
    reason: 'Signed by svix Webhook.sign().', signed_by: 'sdk:svix Webhook.sign()', sdk_check: await schk(sb, vh) };
  add(svalid);
  const stb = tamper(sb, 'ex@example.org', 'evil@example.org');
  add({ ...SP, id: 'svix-tampered-body', category: 'tampered_body', expect: 'reject', signed_at_unix: NOW, headers: vh, body: stb,
    reason: 'Body altered after signing.', signed_by: 'sdk:svix Webhook.sign() (then body altered)', sdk_check: await schk(stb, vh) });
  const swh = SH(NOW, new SvixWebhook('whsec_' + Buffer.from('wrong-svix-secret-000000000000!!').toString('base64')).sign(sid, new Date(NOW * 1000), sb));
  add({ ...SP, id: 'svix-wrong-secret', category: 'wrong_secret', expect: 'reject', signed_at_unix: NOW, headers: swh, body: sb,
    reason: 'Signed with another secret.', signed_by: 'sdk:svix Webhook.sign() with wrong secret', sdk_check: await schk(sb, swh) });
  add(without(svalid, 'svix-missing-signature', ['svix-signature']));
  const sst = NOW - 900; const ssh = SH(sst, sv.sign(sid, new Date(sst * 1000), sb));
  add({ ...SP, id: 'svix-stale-timestamp', category: 'stale_timestamp', expect: 'reject', signed_at_unix: sst, headers: ssh, body: sb,
    reason: 'Timestamp 900 s old.', signed_by: 'sdk:svix Webhook.sign()', sdk_check: await schk(sb, ssh) });
}

// =====================================================================
// Shopify: test-helpers getHmac() + shopify.webhooks.validate()
// =====================================================================
{
  provider('shopify', 'shopify',
    'X-Shopify-Hmac-Sha256: base64 HMAC-SHA256(app client secret, raw body). No signed timestamp. "Events" deliveries use un-prefixed lower-case headers (shopify-hmac-sha256), same HMAC.',
    ['https://shopify.dev/docs/apps/build/webhooks/subscribe/https']);
  const SECRET = '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';
  const shopify = shopifyApi({ apiKey: 'conformance-api-key', apiSecretKey: SECRET, scopes: [], hostName: HOST,
    apiVersion: ApiVersion.January26, isEmbeddedApp: false, logger: { level: LogSeverity.Error, log: () => {} } });
  const body = JSON.stringify({ id: 820982911946154500, email: 'jon@example.com', total_price: '199.65', currency: 'USD', note: UNI, line_items: [{ id: 866550311766439000, title: 'IPod Nano - 8GB', quantity: 1 }] });
  const H = (sig, events = false) => events ? {
    'Content-Type': 'application/json', 'shopify-hmac-sha256': sig, 'shopify-topic': 'orders/create', 'shopify-shop-domain': 'example.myshopify.com',
    'shopify-api-version': '2026-01', 'shopify-webhook-id': uuid(), 'shopify-event-id': uuid(), 'shopify-triggered-at': GEN_ISO,
  } : {
    'Content-Type': 'application/json', 'X-Shopify-Topic': 'orders/create', 'X-Shopify-Hmac-Sha256': sig, 'X-Shopify-Shop-Domain': 'example.myshopify.com',
    'X-Shopify-API-Version': '2026-01', 'X-Shopify-Webhook-Id': uuid(), 'X-Shopify-Triggered-At': GEN_ISO, 'X-Shopify-Event-Id': uuid(),
  };
  const lower = (h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  const chk = (b, h) => sdk('@shopify/shopify-api', 'shopify.webhooks.validate({rawBody, rawRequest, rawResponse})', async () => {
    const r = await shopify.webhooks.validate({ rawBody: b, rawRequest: { headers: lower(h), method: 'POST', url: '/in/shopify' }, rawResponse: {} });
    return { valid: r.valid, detail: r.valid ? undefined : r.reason };
  });
  const P = { provider: 'shopify', source: 'shopify', config: { secret: SECRET } };
  const sig = getHmac(body, SECRET); const h = H(sig);
  const valid = { ...P, id: 'shopify-valid', category: 'valid', expect: 'accept', headers: h, body,
    reason: 'HMAC from @shopify/shopify-api test-helpers getHmac().', signed_by: 'sdk:@shopify/shopify-api/test-helpers getHmac()', sdk_check: await chk(body, h) };
  add(valid);
  const tb = tamper(body, '199.65', '0.01');
  add({ ...P, id: 'shopify-tampered-body', category: 'tampered_body', expect: 'reject', headers: h, body: tb,
    reason: 'total_price changed after signing.', signed_by: 'sdk:getHmac() (then body altered)', sdk_check: await chk(tb, h) });
  const wh = H(getHmac(body, 'shpss_00000000000000000000000000000000'));
  add({ ...P, id: 'shopify-wrong-secret', category: 'wrong_secret', expect: 'reject', headers: wh, body,
    reason: "Signed with another app's secret.", signed_by: 'sdk:getHmac() with wrong secret', sdk_check: await chk(body, wh) });
  add(without(valid, 'shopify-missing-signature', ['X-Shopify-Hmac-Sha256']));
  const eh = H(sig, true);
  add({ ...P, id: 'shopify-events-header-variant', category: 'edge', expect: 'accept', strictness: 'sdk-parity', headers: eh, body,
    reason: 'Same HMAC in the newer un-prefixed "shopify-hmac-sha256" header family, which shopify-api 13 recognises.', signed_by: 'sdk:getHmac()', sdk_check: await chk(body, eh) });
}

// =====================================================================
// Slack: @slack/bolt verifySlackRequest (+ @slack/events-api)
// =====================================================================
{
  provider('slack', 'slack',
    'X-Slack-Signature: "v0=" + hex HMAC-SHA256(signing secret, "v0:" + X-Slack-Request-Timestamp + ":" + raw body). JSON (Events API) or raw form bodies (slash commands). 5 min. url_verification: answer the challenge.',
    ['https://api.slack.com/authentication/verifying-requests-from-slack', 'https://api.slack.com/events/url_verification']);
  const SECRET = '8f74c2a1b10e4e88abcd9911fe3385a5';
  const sign = (ts, b, s = SECRET) => 'v0=' + hmac('sha256', s, `v0:${ts}:${b}`, 'hex');
  const H = (ts, sig, ct = 'application/json') => ({ 'Content-Type': ct, 'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)', 'X-Slack-Request-Timestamp': String(ts), 'X-Slack-Signature': sig });
  const chk = async (b, h, key = SECRET, at = NOW) => {
    const args = (hh) => ({ signingSecret: key, body: b, nowMilliseconds: Date.now(), headers: { 'x-slack-signature': hh['X-Slack-Signature'], 'x-slack-request-timestamp': Number(hh['X-Slack-Request-Timestamp']) } });
    const r = await sdk('@slack/bolt', 'verifySlackRequest({signingSecret, body, headers})', () => { verifySlackRequest(args(h)); return true; }, { at });
    const r2 = await sdk('@slack/events-api', 'verifyRequestSignature()', () => verifyRequestSignature({ signingSecret: key, requestSignature: h['X-Slack-Signature'], requestTimestamp: Number(h['X-Slack-Request-Timestamp']), body: b }), { at });
    r.also = { package: r2.package, function: r2.function, verdict: r2.verdict };
    return r;
  };
  const P = { provider: 'slack', source: 'slack', config: { secret: SECRET }, tolerance_s: 300, signed_by: 'own-code (confirmed by sdk:@slack/bolt verifySlackRequest)' };
  const body = JSON.stringify({ token: 'XXYYZZ', team_id: 'T061EG9R6', api_app_id: 'A0PNCHHK2', event: { type: 'message', channel: 'C024BE91L', user: 'U2147483697', text: `Hello ${UNI}`, ts: '1355517523.000005' }, type: 'event_callback', event_id: 'Ev' + rnd(5), event_time: NOW });
  const h = H(NOW, sign(NOW, body));
  const valid = { ...P, id: 'slack-valid-event', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: h, body,
    reason: 'Events API JSON, signed per docs, confirmed by Bolt and @slack/events-api.', sdk_check: await chk(body, h) };
  add(valid);
  const form = 'token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&channel_id=C2147483705&channel_name=test&user_id=U2147483697&user_name=Steve&command=%2Fweather&text=94070+%26+more+caf%C3%A9&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1234%2F5678&trigger_id=13345224609.738474920.8088930838d88f008e0&api_app_id=A123456';
  const fh = H(NOW, sign(NOW, form), 'application/x-www-form-urlencoded');
  add({ ...P, id: 'slack-valid-slash-command-form', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: fh, body: form,
    reason: 'Slash command form body: the MAC covers the raw encoded string (never decode and re-encode).', sdk_check: await chk(form, fh) });
  const tb = tamper(body, 'Hello', 'Goodbye');
  add({ ...P, id: 'slack-tampered-body', category: 'tampered_body', expect: 'reject', signed_at_unix: NOW, headers: h, body: tb, reason: 'Text changed after signing.', sdk_check: await chk(tb, h) });
  const wh = H(NOW, sign(NOW, body, 'ffffffffffffffffffffffffffffffff'));
  add({ ...P, id: 'slack-wrong-secret', category: 'wrong_secret', expect: 'reject', signed_at_unix: NOW, headers: wh, body, reason: 'Another signing secret.', sdk_check: await chk(body, wh) });
  add(without(valid, 'slack-missing-signature', ['X-Slack-Signature']));
  const st = NOW - 900; const sh = H(st, sign(st, body));
  add({ ...P, id: 'slack-stale-timestamp', category: 'stale_timestamp', expect: 'reject', signed_at_unix: st, headers: sh, body, reason: 'Timestamp 900 s old (> 5 min).', sdk_check: await chk(body, sh) });
  const ft = NOW + 900; const fth = H(ft, sign(ft, body));
  add({ ...P, id: 'slack-future-timestamp', category: 'edge', expect: 'reject', strictness: 'policy', signed_at_unix: ft, headers: fth, body,
    reason: 'Timestamp 900 s in the future. Slack docs: reject if the timestamp is more than five minutes from local time.',
    divergence: 'Bolt verifySlackRequest only rejects past timestamps, so it accepts a far-future one.', sdk_check: await chk(body, fth) });
  const challenge = '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P';
  const cb = JSON.stringify({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', challenge, type: 'url_verification' });
  const ch = H(NOW, sign(NOW, cb));
  add({ ...P, id: 'slack-url-verification-challenge', category: 'challenge', expect: 'accept', signed_at_unix: NOW, headers: ch, body: cb,
    reason: 'Signed url_verification: answer 200 with the challenge (text/plain, or JSON {"challenge": ...}).',
    expected_response: { status: 200, content_type: 'text/plain', body: challenge, alternatives: [{ content_type: 'application/json', body: JSON.stringify({ challenge }) }] },
    sdk_check: await chk(cb, ch) });
  const cwh = H(NOW, sign(NOW, cb, 'ffffffffffffffffffffffffffffffff'));
  add({ ...P, id: 'slack-url-verification-wrong-secret', category: 'challenge', expect: 'reject', signed_at_unix: NOW, headers: cwh, body: cb,
    reason: 'url_verification signed with another secret: must not be answered (Slack signs it like any request).', sdk_check: await chk(cb, cwh) });
  const KS = '8f742231b10e8888abcd99yyyzzz85a5', KT = 1531420618;
  const KB = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
  const kh = H(KT, 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503', 'application/x-www-form-urlencoded');
  add({ provider: 'slack', source: 'slack-vector', config: { secret: KS, tolerance: vectorTolerance(KT) }, id: 'slack-docs-test-vector', category: 'known_answer', expect: 'accept',
    signed_at_unix: KT, headers: kh, body: KB, reason: 'Worked example from Slack docs (signed at 1531420618); the source tolerance covers its age.',
    signed_by: 'provider docs test vector', sdk_check: await chk(KB, kh, KS, KT) });
}

// =====================================================================
// Twilio: getExpectedTwilioSignature / validateRequest / validateRequestWithBody
// =====================================================================
{
  provider('twilio', 'twilio',
    'X-Twilio-Signature: base64 HMAC-SHA1(auth token, full public URL + each POST param name+value, sorted by name). JSON bodies: the URL carries bodySHA256=<hex sha256(body)> and no params are signed. No timestamp.',
    ['https://www.twilio.com/docs/usage/webhooks/webhooks-security', 'https://github.com/twilio/twilio-node/blob/main/src/webhooks/webhooks.ts']);
  const TOKEN = '9d3c7a1e5b2f4c8d6e0a1b2c3d4e5f60';
  const PUB = publicURL('twilio');
  const url = `${PUB}?tenant=acme`;
  const params = { ToCountry: 'US', ToState: 'CA', SmsMessageSid: 'SM' + rnd(16), NumMedia: '0', ToCity: 'SAN FRANCISCO', FromZip: '94105',
    SmsSid: 'SM' + rnd(16), FromState: 'CA', SmsStatus: 'received', FromCity: 'SAN FRANCISCO', Body: `Hello & welcome: ${UNI} +1 a=b`, FromCountry: 'US',
    To: '+15005550006', ToZip: '94105', NumSegments: '1', MessageSid: 'SM' + rnd(16), AccountSid: 'AC' + rnd(16), From: '+14158675309', ApiVersion: '2010-04-01' };
  const form = (p) => new URLSearchParams(p).toString();
  const H = (sig, ct = 'application/x-www-form-urlencoded') => ({ 'Content-Type': ct, 'User-Agent': 'TwilioProxy/1.1', 'I-Twilio-Idempotency-Token': uuid(), 'X-Twilio-Signature': sig });
  const chk = (u, p, s, tok = TOKEN) => sdk('twilio', 'validateRequest(authToken, signature, url, params)', () => twilio.validateRequest(tok, s, u, p));
  const P = { provider: 'twilio', source: 'twilio', config: { secret: TOKEN, public_url: PUB }, query: 'tenant=acme', signed_url: url };
  const sig = twilio.getExpectedTwilioSignature(TOKEN, url, params);
  const valid = { ...P, id: 'twilio-valid-sms-form', category: 'valid', expect: 'accept', headers: H(sig), body: form(params),
    reason: 'Inbound SMS form POST; signature over public URL (with query) + decoded params. Values hold &, =, + and non-ASCII.',
    signed_by: 'sdk:twilio getExpectedTwilioSignature()', sdk_check: await chk(url, params, sig) };
  add(valid);
  const tp = { ...params, Body: 'Send $500 to attacker' };
  add({ ...P, id: 'twilio-tampered-param', category: 'tampered_body', expect: 'reject', headers: H(sig), body: form(tp),
    reason: 'Body param changed after signing.', signed_by: 'sdk:twilio (then param altered)', sdk_check: await chk(url, tp, sig) });
  const ws = twilio.getExpectedTwilioSignature('00000000000000000000000000000000', url, params);
  add({ ...P, id: 'twilio-wrong-token', category: 'wrong_secret', expect: 'reject', headers: H(ws), body: form(params),
    reason: 'Another account auth token.', signed_by: 'sdk:twilio getExpectedTwilioSignature() with wrong token', sdk_check: await chk(url, params, ws) });
  add(without(valid, 'twilio-missing-signature', ['X-Twilio-Signature']));
  const portUrl = `https://${HOST}:443/in/twilio?tenant=acme`;
  const ps = twilio.getExpectedTwilioSignature(TOKEN, portUrl, params);
  add({ ...P, id: 'twilio-signed-with-explicit-443', category: 'edge', expect: 'accept', strictness: 'sdk-parity', headers: H(ps), body: form(params),
    reason: 'Signed over the URL with an explicit ":443"; twilio-node validateRequest tries the URL with and without the default port.',
    signed_by: 'sdk:twilio getExpectedTwilioSignature() over URL with :443', sdk_check: await chk(url, params, ps) });
  const us = twilio.getExpectedTwilioSignature(TOKEN, `${PUB}?tenant=other`, params);
  add({ ...P, id: 'twilio-url-mismatch', category: 'edge', expect: 'reject', headers: H(us), body: form(params),
    reason: 'Signed for ?tenant=other but delivered to ?tenant=acme: the URL is signed.', signed_by: 'sdk:twilio getExpectedTwilioSignature() for another URL', sdk_check: await chk(url, params, us) });
  const jb = JSON.stringify({ event_type: 'com.twilio.messaging.message.delivered', data: { messageSid: 'SM' + rnd(16), to: '+15005550006', body: UNI } });
  const jq = `bodySHA256=${twilio.getExpectedBodyHash(jb)}`;
  const jurl = `${PUB}?${jq}`;
  const js = twilio.getExpectedTwilioSignature(TOKEN, jurl, {});
  const jchk = (b) => sdk('twilio', 'validateRequestWithBody(authToken, signature, url, body)', () => twilio.validateRequestWithBody(TOKEN, js, jurl, b));
  add({ ...P, query: jq, signed_url: jurl, id: 'twilio-valid-json-bodysha256', category: 'valid', expect: 'accept', headers: H(js, 'application/json'), body: jb,
    reason: 'JSON body: Twilio appends ?bodySHA256=<hex sha256(body)> and signs the URL with no params.', signed_by: 'sdk:twilio getExpectedBodyHash() + getExpectedTwilioSignature()', sdk_check: await jchk(jb) });
  const tjb = tamper(jb, 'delivered', 'failed');
  add({ ...P, query: jq, signed_url: jurl, id: 'twilio-tampered-json-bodysha256', category: 'tampered_body', expect: 'reject', headers: H(js, 'application/json'), body: tjb,
    reason: 'JSON body altered: the URL signature holds but sha256(body) != bodySHA256.', signed_by: 'sdk:twilio (then body altered)', sdk_check: await jchk(tjb) });
  const KU = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const KP = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };
  add({ provider: 'twilio', source: 'twilio-vector', config: { secret: '12345', public_url: 'https://mycompany.com/myapp.php' }, query: 'foo=1&bar=2', signed_url: KU,
    id: 'twilio-docs-test-vector', category: 'known_answer', expect: 'accept', headers: H('RSOYDt4T1cUTdK1PDd93/VVr8B8='), body: form(KP),
    reason: 'Vector from Twilio docs (token "12345"). The public URL path differs from /in/{source}: a proxy rewrites it.',
    signed_by: 'provider docs test vector', sdk_check: await chk(KU, KP, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', '12345') });
}

// =====================================================================
// X: no official verifier (@xdevplatform/xdk has none); own code per docs
// =====================================================================
{
  provider('x', 'x',
    'x-twitter-webhooks-signature: "sha256=" + base64 HMAC-SHA256(consumer secret, raw body). CRC: GET ?crc_token=..&nonce=.. -> 200 JSON {"response_token": "sha256=" + base64 HMAC-SHA256(consumer secret, crc_token)}.',
    ['https://docs.x.com/x-api/webhooks/quickstart']);
  const SECRET = 'z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu';
  const sign = (b, s = SECRET) => 'sha256=' + hmac('sha256', s, b, 'base64');
  const body = JSON.stringify({ for_user_id: '2244994945', tweet_create_events: [{ id_str: '18480000000' + rnd(4), text: `gm ${UNI}`, user: { id_str: '6253282', screen_name: 'XDevelopers' } }] });
  const H = (s) => ({ 'Content-Type': 'application/json; charset=utf-8', 'x-twitter-webhooks-signature': s });
  const P = { provider: 'x', source: 'x', config: { secret: SECRET }, signed_by: 'own-code (no official SDK verifier)' };
  const valid = { ...P, id: 'x-valid', category: 'valid', expect: 'accept', headers: H(sign(body)), body, reason: 'Account Activity event signed per X docs.' };
  add(valid);
  add({ ...P, id: 'x-tampered-body', category: 'tampered_body', expect: 'reject', headers: H(sign(body)), body: tamper(body, 'gm', 'gn'), reason: 'Body altered after signing.' });
  add({ ...P, id: 'x-wrong-secret', category: 'wrong_secret', expect: 'reject', headers: H(sign(body, 'wrongConsumerSecret000000000000000000000000000000')), body, reason: "Another app's consumer secret." });
  add(without(valid, 'x-missing-signature', ['x-twitter-webhooks-signature']));
  const tok = '9b4507b3-9040-4669-9ca3-6b94edb50553';
  add({ ...P, id: 'x-crc-challenge', category: 'challenge', expect: 'accept', method: 'GET', query: `crc_token=${encodeURIComponent(tok)}&nonce=${rnd(8)}`,
    headers: { 'User-Agent': 'Twitter-Webhooks/1.0' }, body: '', reason: 'CRC: 200 JSON with response_token.',
    expected_response: { status: 200, content_type: 'application/json', body: JSON.stringify({ response_token: sign(tok) }) } });
}

// =====================================================================
// Vonage: SMS "sig" (md5hash / HMAC md5,sha1,sha256,sha512) and signed-webhook JWT
// =====================================================================
{
  provider('vonage-sms', 'vonage-sms',
    'Signed SMS webhooks: params (query or form, minus sig) sorted by key; string = concat of "&" + key + "=" + value with "&" and "=" in values replaced by "_". md5hash: hex MD5(string + secret); md5/sha1/sha256/sha512 HMAC: hex HMAC(secret, string) (upper-case; compare case-insensitively). Signed "timestamp" param; no documented window (policy 300 s).',
    ['https://developer.vonage.com/en/getting-started/concepts/signing-messages']);
  provider('vonage-jwt', 'vonage-jwt',
    'Messages API signed webhooks: Authorization: Bearer <JWT HS256, signature secret>; payload_hash = hex SHA-256(raw body). No exp; iat freshness is receiver policy (300 s).',
    ['https://developer.vonage.com/en/messages/concepts/signed-webhooks']);
  const SIG_SECRET = 'Zk7pQ2wR9tY4uI1oP6aS3dF8gH5jK0lZxCvBnM2qWe';
  const API_KEY = 'a1b2c3d4';
  const sms = new SMS({ apiKey: API_KEY, apiSecret: 'unused-api-secret' });
  const ALGS = ['md5hash', 'md5hmac', 'sha1hmac', 'sha256hmac', 'sha512hmac']; // the dashboard's signature methods
  const vonageSig = (params, secret, alg) => {
    const str = Object.keys(params).filter((k) => k !== 'sig').sort().map((k) => `&${k}=${String(params[k]).replace(/[&=]/g, '_')}`).join('');
    if (alg === 'md5hash') return hash('md5', str + secret, 'hex');
    return hmac({ md5hmac: 'md5', sha1hmac: 'sha1', sha256hmac: 'sha256', sha512hmac: 'sha512' }[alg], secret, str, 'hex').toUpperCase();
  };
  const base = (ts) => ({ msisdn: '447700900001', to: '447700900000', messageId: '0A0000000123' + rnd(2).toUpperCase(), text: 'Pay=10&go ' + UNI, type: 'unicode',
    keyword: 'PAY=10&GO', 'api-key': API_KEY, 'message-timestamp': new Date(ts * 1000).toISOString().replace('T', ' ').slice(0, 19), timestamp: String(ts), nonce: uuid() });
  const chk = (p, alg) => sdk('@vonage/sms', `SMS.verifySignature(sig, params, secret, AlgorithmTypes.${alg})`, () => sms.verifySignature(p.sig, p, SIG_SECRET, AlgorithmTypes[alg]));
  const form = (p) => new URLSearchParams(p).toString();
  const src = (alg) => ({ source: `vonage-sms-${alg}`, config: { secret: SIG_SECRET, signature_method: alg } });
  const P = { provider: 'vonage-sms', tolerance_s: 300, signed_by: 'own-code per docs (confirmed by sdk:@vonage/sms verifySignature)' };
  const FH = { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'Vonage/1.0' };
  for (const alg of ALGS) {
    const p = base(NOW); p.sig = vonageSig(p, SIG_SECRET, alg);
    add({ ...P, ...src(alg), id: `vonage-sms-valid-${alg}`, category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: FH, body: form(p),
      reason: `Inbound SMS form POST, dashboard signature method "${alg}". Values hold "=" and "&" (replaced by "_" in the signed string).`, sdk_check: await chk(p, alg) });
  }
  const S = { ...P, ...src('sha256hmac') };
  const p = base(NOW); p.sig = vonageSig(p, SIG_SECRET, 'sha256hmac');
  add({ ...S, id: 'vonage-sms-valid-get-query', category: 'valid', expect: 'accept', method: 'GET', signed_at_unix: NOW, query: form(p), headers: { 'User-Agent': 'Vonage/1.0' }, body: '',
    reason: "Number webhook method GET: the params arrive in the query string, body empty.", sdk_check: await chk(p, 'sha256hmac') });
  const pl = { ...p, sig: p.sig.toLowerCase() };
  add({ ...S, id: 'vonage-sms-lowercase-hex-sig', category: 'edge', expect: 'accept', signed_at_unix: NOW, headers: FH, body: form(pl),
    reason: 'Same HMAC in lower-case hex: Vonage compares case-insensitively.', sdk_check: await chk(pl, 'sha256hmac') });
  const tp = { ...p, text: 'Pay=9999&go' };
  add({ ...S, id: 'vonage-sms-tampered', category: 'tampered_body', expect: 'reject', signed_at_unix: NOW, headers: FH, body: form(tp), reason: 'text altered after signing.', sdk_check: await chk(tp, 'sha256hmac') });
  const wp = base(NOW); wp.sig = vonageSig(wp, 'wrongSignatureSecret0000000000000000000000', 'sha256hmac');
  add({ ...S, id: 'vonage-sms-wrong-secret', category: 'wrong_secret', expect: 'reject', signed_at_unix: NOW, headers: FH, body: form(wp), reason: 'Another signature secret.', sdk_check: await chk(wp, 'sha256hmac') });
  const np = { ...p }; delete np.sig;
  add({ ...S, id: 'vonage-sms-missing-signature', category: 'missing_signature', expect: 'reject', signed_at_unix: NOW, headers: FH, body: form(np), signed_by: 'derived: sig param removed', reason: 'No sig param.' });
  const st = NOW - 900; const sp = base(st); sp.sig = vonageSig(sp, SIG_SECRET, 'sha256hmac');
  add({ ...S, id: 'vonage-sms-stale-timestamp', category: 'stale_timestamp', expect: 'reject', strictness: 'policy', signed_at_unix: st, headers: FH, body: form(sp),
    reason: 'Signed "timestamp" param 900 s old; Vonage gives no window: 300 s policy.', divergence: '@vonage/sms verifySignature does not check time: accepts.', sdk_check: await chk(sp, 'sha256hmac') });

  const body = JSON.stringify({ channel: 'whatsapp', message_uuid: uuid(), to: '447700900000', from: '447700900001', timestamp: GEN_ISO, message_type: 'text', text: `Hi ${UNI}` });
  const mk = (b, iat, secret = SIG_SECRET) => jwt.sign({ iat, jti: uuid(), iss: 'Vonage', payload_hash: hash('sha256', b, 'hex'), api_key: API_KEY, application_id: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab' }, secret, { algorithm: 'HS256' });
  const H = (t) => ({ 'Content-Type': 'application/json', Authorization: `Bearer ${t}`, 'User-Agent': 'Vonage-Messages/1.0' });
  const jchk = (t, b) => sdk('@vonage/jwt', 'verifySignature(token, signatureSecret) + payload_hash == sha256(body)', () => {
    const ok = vonageJwtVerify(t, SIG_SECRET);
    const ph = JSON.parse(Buffer.from(t.split('.')[1], 'base64url')).payload_hash === hash('sha256', b, 'hex');
    return { valid: ok && ph, detail: `jwt_signature_ok=${ok} payload_hash_ok=${ph}` };
  });
  const JP = { provider: 'vonage-jwt', source: 'vonage-jwt', config: { secret: SIG_SECRET }, tolerance_s: 300,
    signed_by: `jsonwebtoken@${pkgVersion('jsonwebtoken')} HS256 (the @vonage/jwt dependency); confirmed by sdk:@vonage/jwt verifySignature` };
  const t = mk(body, NOW);
  const jvalid = { ...JP, id: 'vonage-jwt-valid', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: H(t), body, reason: 'HS256 JWT with matching payload_hash.', sdk_check: await jchk(t, body) };
  add(jvalid);
  const tb = tamper(body, 'Hi', 'Bye');
  add({ ...JP, id: 'vonage-jwt-tampered-body', category: 'tampered_body', expect: 'reject', strictness: 'policy', signed_at_unix: NOW, headers: H(t), body: tb,
    reason: 'JWT valid but payload_hash != sha256(body). Vonage calls the check optional; a gateway must enforce it.', sdk_check: await jchk(t, tb) });
  const wt = mk(body, NOW, 'wrongSignatureSecret0000000000000000000000');
  add({ ...JP, id: 'vonage-jwt-wrong-secret', category: 'wrong_secret', expect: 'reject', signed_at_unix: NOW, headers: H(wt), body, reason: 'JWT signed with another secret.', sdk_check: await jchk(wt, body) });
  add(without(jvalid, 'vonage-jwt-missing-signature', ['Authorization']));
  const stt = mk(body, NOW - 900);
  add({ ...JP, id: 'vonage-jwt-stale-iat', category: 'stale_timestamp', expect: 'reject', strictness: 'policy', signed_at_unix: NOW - 900, headers: H(stt), body,
    reason: 'iat 900 s old; no exp and no documented window: 300 s policy.', divergence: '@vonage/jwt verifySignature ignores iat: accepts.', sdk_check: await jchk(stt, body) });
}

// =====================================================================
// Recharge: no SDK verifier; own code per docs
// =====================================================================
{
  provider('recharge', 'recharge',
    'Legacy X-Recharge-Hmac-Sha256 = hex SHA-256(client secret + raw body) (plain hash, not HMAC). Newer X-Recharge-Webhook-Timestamp + X-Recharge-Webhook-Signature "t=<ts>,v1=<hex HMAC-SHA256(secret, ts.body)>", 48 h window.',
    ['https://docs.getrecharge.com/docs/webhooks-overview#validating-webhooks']);
  const SECRET = 'rcs_4f8a2c6e1b9d3f7a5c0e8b2d6f4a1c9e';
  const body = JSON.stringify({ subscription: { id: 27009300, customer_id: 30546722, product_title: `Coffee ${UNI}`, price: '24.00', quantity: 1, status: 'active', created_at: GEN_ISO.slice(0, 19) } });
  const legacy = (b, s = SECRET) => hash('sha256', s + b, 'hex');
  const ts = (t, b, s = SECRET) => `t=${t},v1=${hmac('sha256', s, `${t}.${b}`, 'hex')}`;
  const H = (o) => ({ 'Content-Type': 'application/json', 'X-Recharge-Topic': 'subscription/created', 'X-Recharge-Version': '2021-11', ...o });
  const P = { provider: 'recharge', source: 'recharge', config: { secret: SECRET }, tolerance_s: 172800, signed_by: 'own-code (no official SDK verifier)' };
  const both = (b, s, t = NOW) => ({ 'X-Recharge-Hmac-Sha256': legacy(b, s), 'X-Recharge-Webhook-Timestamp': String(t), 'X-Recharge-Webhook-Signature': ts(t, b, s) });
  const valid = { ...P, id: 'recharge-valid', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: H(both(body)), body, reason: 'Both schemes present and valid.' };
  add(valid);
  add({ ...P, id: 'recharge-valid-legacy-only', category: 'valid', expect: 'accept', headers: H({ 'X-Recharge-Hmac-Sha256': legacy(body) }), body, reason: 'Only the legacy header (plain SHA-256 of secret + body).' });
  add({ ...P, id: 'recharge-tampered-body', category: 'tampered_body', expect: 'reject', signed_at_unix: NOW, headers: H(both(body)), body: tamper(body, '24.00', '0.00'), reason: 'Price changed (both signatures fail).' });
  add({ ...P, id: 'recharge-wrong-secret', category: 'wrong_secret', expect: 'reject', signed_at_unix: NOW, headers: H(both(body, 'rcs_00000000000000000000000000000000')), body, reason: 'Both computed with another secret.' });
  add(without(valid, 'recharge-missing-signature', ['X-Recharge-Hmac-Sha256', 'X-Recharge-Webhook-Signature']));
  const st = NOW - 49 * 3600;
  add({ ...P, id: 'recharge-stale-timestamp', category: 'stale_timestamp', expect: 'reject', signed_at_unix: st,
    headers: H({ 'X-Recharge-Webhook-Timestamp': String(st), 'X-Recharge-Webhook-Signature': ts(st, body) }), body,
    reason: 'Timestamped signature 49 h old (> 48 h); legacy header left out so it cannot mask the replay.' });
}

// =====================================================================
// GitLab: X-Gitlab-Token, and the signing token (Standard Webhooks format)
// =====================================================================
{
  provider('gitlab', 'gitlab',
    'X-Gitlab-Token: the secret token, verbatim (constant-time compare; no body integrity). Optional signing token (whsec_...): Standard Webhooks headers webhook-id/-timestamp/-signature.',
    ['https://docs.gitlab.com/user/project/integrations/webhooks/#validate-payloads-by-using-a-secret-token', 'https://gitlab.com/gitlab-org/gitlab/-/merge_requests/230944']);
  const TOKEN = 'glwt-7f3b9c1d5e2a8f4c6b0d';
  const body = JSON.stringify({ object_kind: 'push', event_name: 'push', ref: 'refs/heads/main', checkout_sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', user_name: `Jos\u00e9 ${UNI}`, project: { id: 15, path_with_namespace: 'group/project' }, total_commits_count: 1 });
  const H = (o) => {
    const idem = uuid();
    return { 'Content-Type': 'application/json', 'User-Agent': 'GitLab/18.5.0', 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Instance': 'https://gitlab.example.com',
      'X-Gitlab-Webhook-UUID': uuid(), 'X-Gitlab-Event-UUID': idem, 'Idempotency-Key': idem, ...o };
  };
  const P = { provider: 'gitlab', source: 'gitlab', config: { secret: TOKEN }, signed_by: 'own-code (a token, not a signature)' };
  add({ ...P, id: 'gitlab-token-valid', category: 'valid', expect: 'accept', headers: H({ 'X-Gitlab-Token': TOKEN }), body, reason: 'X-Gitlab-Token equals the configured token.' });
  add({ ...P, id: 'gitlab-token-wrong', category: 'wrong_secret', expect: 'reject', headers: H({ 'X-Gitlab-Token': 'glwt-wrong-token-000000' }), body, reason: 'X-Gitlab-Token differs.' });
  add({ ...P, id: 'gitlab-token-missing', category: 'missing_signature', expect: 'reject', headers: H({}), body, reason: 'No X-Gitlab-Token while a token is configured.' });
  add({ ...P, id: 'gitlab-token-tampered-body-still-accepted', category: 'tampered_body', expect: 'accept', headers: H({ 'X-Gitlab-Token': TOKEN }), body: tamper(body, 'refs/heads/main', 'refs/heads/evil'),
    reason: 'Body altered, token right: the token scheme has no body integrity, so a faithful gateway accepts.' });
  const SK = 'whsec_' + Buffer.from('gitlab-signing-token-32-bytes!!!').toString('base64');
  const sw = new StdWebhook(SK);
  const signed = (t, b = body, w = sw) => { const h = H({}); return { ...h, 'webhook-id': h['Idempotency-Key'], 'webhook-timestamp': String(t), 'webhook-signature': w.sign(h['Idempotency-Key'], new Date(t * 1000), b) }; };
  const chk = (b, h) => sdk('standardwebhooks', 'new Webhook(signingToken).verify()', () => { new StdWebhook(SK).verify(b, h); return true; });
  const SP = { provider: 'gitlab', preset: 'gitlab-signing', source: 'gitlab-signing', config: { secret: SK }, tolerance_s: 300, signed_by: 'sdk:standardwebhooks Webhook.sign() (GitLab follows Standard Webhooks)' };
  const h = signed(NOW);
  const valid = { ...SP, id: 'gitlab-signing-token-valid', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: h, body, reason: 'Signing-token delivery.', sdk_check: await chk(body, h) };
  add(valid);
  const tb = tamper(body, 'refs/heads/main', 'refs/heads/evil');
  add({ ...SP, id: 'gitlab-signing-token-tampered-body', category: 'tampered_body', expect: 'reject', signed_at_unix: NOW, headers: h, body: tb, reason: 'Body altered; the signing token detects it.', sdk_check: await chk(tb, h) });
  const wh = signed(NOW, body, new StdWebhook('whsec_' + Buffer.from('wrong-gitlab-signing-token-32b!!').toString('base64')));
  add({ ...SP, id: 'gitlab-signing-token-wrong-secret', category: 'wrong_secret', expect: 'reject', signed_at_unix: NOW, headers: wh, body, reason: 'Another signing token.', sdk_check: await chk(body, wh) });
  add(without(valid, 'gitlab-signing-token-missing-signature', ['webhook-signature']));
  const sth = signed(NOW - 900);
  add({ ...SP, id: 'gitlab-signing-token-stale', category: 'stale_timestamp', expect: 'reject', signed_at_unix: NOW - 900, headers: sth, body, reason: 'webhook-timestamp 900 s old.', sdk_check: await chk(body, sth) });
}

// =====================================================================
// Discord: discord-interactions verifyKey (Ed25519)
// =====================================================================
{
  provider('discord', 'discord',
    'X-Signature-Ed25519: hex Ed25519 signature over X-Signature-Timestamp + raw body, checked with the app Public Key (hex). Bad signatures must get 401. PING type 1 -> 200 {"type":1}; webhook-events PING type 0 -> 204. No documented window (policy 300 s).',
    ['https://discord.com/developers/docs/interactions/receiving-and-responding#security-and-authorization', 'https://discord.com/developers/docs/events/webhook-events']);
  const kp = ed25519Pair('discord');
  const other = ed25519Pair('discord other');
  const pubHex = kp.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  const sign = (ts, b, k = kp.privateKey) => crypto.sign(null, Buffer.from(ts + b), k).toString('hex');
  const H = (ts, sig) => ({ 'Content-Type': 'application/json', 'User-Agent': 'Discord-Interactions/1.0 (+https://discord.com)', 'X-Signature-Ed25519': sig, 'X-Signature-Timestamp': String(ts) });
  const chk = (b, h) => sdk('discord-interactions', 'verifyKey(rawBody, signature, timestamp, publicKeyHex)', () => discordVerifyKey(b, h['X-Signature-Ed25519'], h['X-Signature-Timestamp'], pubHex));
  const P = { provider: 'discord', source: 'discord', config: { public_key: pubHex }, tolerance_s: 300, signed_by: 'own-code node:crypto Ed25519 (confirmed by sdk:discord-interactions verifyKey)' };
  const body = JSON.stringify({ type: 2, id: '11999999999999' + rnd(2), application_id: '1100000000000000000', token: 'aW50ZXJhY3Rpb246MTE5OTk5', data: { id: '1100000000000000001', name: 'ping', type: 1, options: [{ name: 'text', type: 3, value: UNI }] }, guild_id: '1000000000000000000', version: 1 });
  const h = H(NOW, sign(NOW, body));
  const valid = { ...P, id: 'discord-valid', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: h, body, sdk_check: await chk(body, h),
    reason: 'APPLICATION_COMMAND interaction (type 2), Ed25519. Discord fails an interaction with no interaction response within 3 s, so once stored it is answered with a deferred response, {"type":5}.',
    expected_response: { status: 200, content_type: 'application/json', body: '{"type":5}' } };
  add(valid);
  const tb = tamper(body, '"ping"', '"ban"');
  add({ ...P, id: 'discord-tampered-body', category: 'tampered_body', expect: 'reject', signed_at_unix: NOW, headers: h, body: tb, expected_response: { status: 401 }, reason: 'Body altered; Discord requires 401.', sdk_check: await chk(tb, h) });
  const wh = H(NOW, sign(NOW, body, other.privateKey));
  add({ ...P, id: 'discord-wrong-key', category: 'wrong_secret', expect: 'reject', signed_at_unix: NOW, headers: wh, body, expected_response: { status: 401 }, reason: 'Signed by another key; 401.', sdk_check: await chk(body, wh) });
  add({ ...without(valid, 'discord-missing-signature', ['X-Signature-Ed25519']), expected_response: { status: 401 } });
  const st = NOW - 900; const sth = H(st, sign(st, body));
  add({ ...P, id: 'discord-stale-timestamp', category: 'stale_timestamp', expect: 'reject', strictness: 'policy', signed_at_unix: st, headers: sth, body,
    reason: 'Valid signature, timestamp 900 s old. No documented window: 300 s policy.', divergence: 'discord-interactions does not check time: accepts.', sdk_check: await chk(body, sth) });
  const pb = JSON.stringify({ type: 1, id: '11999999999999' + rnd(2), application_id: '1100000000000000000', token: 'cGluZw', version: 1 });
  const ph = H(NOW, sign(NOW, pb));
  add({ ...P, id: 'discord-ping-challenge', category: 'challenge', expect: 'accept', signed_at_unix: NOW, headers: ph, body: pb,
    reason: 'Signed interactions PING (type 1): answer 200 {"type":1}.', expected_response: { status: 200, content_type: 'application/json', body: '{"type":1}' }, sdk_check: await chk(pb, ph) });
  const pwh = H(NOW, sign(NOW, pb, other.privateKey));
  add({ ...P, id: 'discord-ping-wrong-key', category: 'challenge', expect: 'reject', signed_at_unix: NOW, headers: pwh, body: pb,
    reason: 'PING signed by another key: Discord probes exactly this and requires 401.', expected_response: { status: 401 }, sdk_check: await chk(pb, pwh) });
  const vb = JSON.stringify({ version: 1, application_id: '1100000000000000000', type: 1, event: { type: 'APPLICATION_AUTHORIZED', timestamp: GEN_ISO,
    data: { integration_type: 0, scopes: ['applications.commands'], user: { id: '1000000000000000' + rnd(1).slice(0, 3), username: `user ${UNI}` } } } });
  const vh = H(NOW, sign(NOW, vb));
  const EP = { ...P, preset: 'discord-events', source: 'discord-events' };
  add({ ...EP, id: 'discord-webhook-event', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: vh, body: vb,
    reason: 'Signed webhook event (type 1, APPLICATION_AUTHORIZED). Discord requires 204 with an empty body once it is taken.',
    expected_response: { status: 204, body: '' }, sdk_check: await chk(vb, vh) });
  const eb = JSON.stringify({ version: 1, application_id: '1100000000000000000', type: 0 });
  const eh = H(NOW, sign(NOW, eb));
  add({ ...EP, id: 'discord-webhook-event-ping', category: 'challenge', expect: 'accept', signed_at_unix: NOW, headers: eh, body: eb,
    reason: 'Signed webhook-events PING (type 0): answer 204, empty body.', expected_response: { status: 204, body: '' }, sdk_check: await chk(eb, eh) });
}

// =====================================================================
// Twitch EventSub: own code; confirmed by @twurple/eventsub-http (community)
// =====================================================================
{
  provider('twitch', 'twitch',
    'Twitch-Eventsub-Message-Signature: "sha256=" + hex HMAC-SHA256(secret, Message-Id + Message-Timestamp + raw body). Timestamp RFC3339 with ns; 10 min. webhook_callback_verification -> 200 text/plain raw challenge.',
    ['https://dev.twitch.tv/docs/eventsub/handling-webhook-events/']);
  const SECRET = 's3cre7-tw1tch-eventsub-0123456789';
  const rfc = (unix) => new Date(unix * 1000).toISOString().replace(/\.(\d{3})Z$/, (_, ms) => `.${ms}${String(crypto.randomInt(1e6)).padStart(6, '0')}Z`);
  const sign = (id, ts, b, s = SECRET) => 'sha256=' + hmac('sha256', s, id + ts + b, 'hex');
  const H = (id, ts, sig, type = 'notification') => ({ 'Content-Type': 'application/json', 'Twitch-Eventsub-Message-Id': id, 'Twitch-Eventsub-Message-Retry': '0',
    'Twitch-Eventsub-Message-Type': type, 'Twitch-Eventsub-Message-Signature': sig, 'Twitch-Eventsub-Message-Timestamp': ts,
    'Twitch-Eventsub-Subscription-Type': 'channel.follow', 'Twitch-Eventsub-Subscription-Version': '2' });
  const verifyData = EventSubHttpListener.prototype._verifyData;
  const chk = (b, h) => sdk('@twurple/eventsub-http', 'EventSubHttpBase#_verifyData (internal; community library)',
    () => verifyData.call({ _secret: SECRET }, h['Twitch-Eventsub-Message-Id'], h['Twitch-Eventsub-Message-Timestamp'], b, h['Twitch-Eventsub-Message-Signature']));
  const sub = { id: uuid(), status: 'enabled', type: 'channel.follow', version: '2', condition: { broadcaster_user_id: '1337', moderator_user_id: '1337' }, transport: { method: 'webhook', callback: publicURL('twitch') }, created_at: GEN_ISO, cost: 0 };
  const body = JSON.stringify({ subscription: sub, event: { user_id: '1234', user_login: 'cool_user', user_name: `Cool_User ${UNI}`, broadcaster_user_id: '1337', broadcaster_user_login: 'cooler_user', followed_at: GEN_ISO } });
  const P = { provider: 'twitch', source: 'twitch', config: { secret: SECRET }, tolerance_s: 600, signed_by: 'own-code (confirmed by sdk:@twurple/eventsub-http _verifyData)' };
  const id = uuid(); const ts = rfc(NOW);
  const h = H(id, ts, sign(id, ts, body));
  const valid = { ...P, id: 'twitch-valid', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: h, body, reason: 'channel.follow notification.', sdk_check: await chk(body, h) };
  add(valid);
  const tb = tamper(body, 'cool_user', 'evil_user');
  add({ ...P, id: 'twitch-tampered-body', category: 'tampered_body', expect: 'reject', signed_at_unix: NOW, headers: h, body: tb, reason: 'Body altered.', sdk_check: await chk(tb, h) });
  const wid = uuid(); const wh = H(wid, ts, sign(wid, ts, body, 'wrong-secret-wrong-secret'));
  add({ ...P, id: 'twitch-wrong-secret', category: 'wrong_secret', expect: 'reject', signed_at_unix: NOW, headers: wh, body, reason: 'Another subscription secret.', sdk_check: await chk(body, wh) });
  add(without(valid, 'twitch-missing-signature', ['Twitch-Eventsub-Message-Signature']));
  const st = NOW - 1200; const sts = rfc(st); const sid = uuid();
  const sth = H(sid, sts, sign(sid, sts, body));
  add({ ...P, id: 'twitch-stale-timestamp', category: 'stale_timestamp', expect: 'reject', signed_at_unix: st, headers: sth, body,
    reason: 'Message-Timestamp 20 min old (> 10 min).', divergence: 'twurple _verifyData checks only the HMAC (its request handler drops old messages separately).', sdk_check: await chk(body, sth) });
  const challenge = 'pogchamp-kappa-360noscope-vohiyo-' + rnd(4);
  const cb = JSON.stringify({ challenge, subscription: { ...sub, status: 'webhook_callback_verification_pending' } });
  const cid = uuid(); const ch = H(cid, ts, sign(cid, ts, cb), 'webhook_callback_verification');
  add({ ...P, id: 'twitch-callback-verification-challenge', category: 'challenge', expect: 'accept', signed_at_unix: NOW, headers: ch, body: cb,
    reason: 'Signed webhook_callback_verification: 200 text/plain, body = the raw challenge.', expected_response: { status: 200, content_type: 'text/plain', body: challenge }, sdk_check: await chk(cb, ch) });
  const xid = uuid(); const xh = H(xid, ts, sign(xid, ts, cb, 'wrong-secret-wrong-secret'), 'webhook_callback_verification');
  add({ ...P, id: 'twitch-callback-verification-wrong-secret', category: 'challenge', expect: 'reject', signed_at_unix: NOW, headers: xh, body: cb,
    reason: 'Verification request signed with another secret: must not be answered.', sdk_check: await chk(cb, xh) });
  const rb = JSON.stringify({ subscription: { ...sub, status: 'authorization_revoked' } });
  const rid = uuid(); const rh = H(rid, ts, sign(rid, ts, rb), 'revocation');
  add({ ...P, id: 'twitch-revocation', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: rh, body: rb, reason: 'Signed revocation message; 2xx.', sdk_check: await chk(rb, rh) });
}

// =====================================================================
// Paddle Billing: own signer; confirmed by paddle.webhooks.isSignatureValid
// =====================================================================
{
  provider('paddle', 'paddle',
    'Paddle-Signature: "ts=<unix>;h1=<hex HMAC-SHA256(secret, ts + ":" + raw body)>" (at least one h1; several during rotation). Key = the whole "pdl_ntfset_..." string. 5 s window (SDK default).',
    ['https://developer.paddle.com/webhooks/signature-verification']);
  const paddle = new Paddle('pdl_sdbx_apikey_conformance_not_a_real_key');
  const SECRET = 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI';
  const body = JSON.stringify({ event_id: 'evt_01h' + rnd(10), event_type: 'transaction.completed', occurred_at: GEN_ISO, notification_id: 'ntf_01h' + rnd(10), data: { id: 'txn_01h' + rnd(10), status: 'completed', currency_code: 'EUR', details: { totals: { total: '1999' } }, custom_data: { note: UNI } } });
  const h1 = (t, b, s = SECRET) => hmac('sha256', s, `${t}:${b}`, 'hex');
  const H = (v) => ({ 'Content-Type': 'application/json', 'Paddle-Signature': v });
  const chk = (b, h) => sdk('@paddle/paddle-node-sdk', 'paddle.webhooks.isSignatureValid(rawBody, secretKey, signatureHeader) [5 s]', () => paddle.webhooks.isSignatureValid(b, SECRET, h['Paddle-Signature']));
  const P = { provider: 'paddle', source: 'paddle', config: { secret: SECRET }, tolerance_s: 5, signed_by: 'own-code (confirmed by sdk:@paddle/paddle-node-sdk isSignatureValid)' };
  const h = H(`ts=${NOW};h1=${h1(NOW, body)}`);
  const valid = { ...P, id: 'paddle-valid', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: h, body, reason: 'Valid at generation time; lives 5 s.', sdk_check: await chk(body, h) };
  add(valid);
  add({ ...P, id: 'paddle-tampered-body', category: 'tampered_body', expect: 'reject', signed_at_unix: NOW, headers: h, body: tamper(body, '1999', '1'), reason: 'Total altered.', sdk_check: await chk(tamper(body, '1999', '1'), h) });
  const wh = H(`ts=${NOW};h1=${h1(NOW, body, 'pdl_ntfset_01aaaaaaaaaaaaaaaaaaaaaaaa_wrongwrongwrongwrongwrongwrong00')}`);
  add({ ...P, id: 'paddle-wrong-secret', category: 'wrong_secret', expect: 'reject', signed_at_unix: NOW, headers: wh, body, reason: "Another destination's secret.", sdk_check: await chk(body, wh) });
  add(without(valid, 'paddle-missing-signature', ['Paddle-Signature']));
  const st = NOW - 300; const sh = H(`ts=${st};h1=${h1(st, body)}`);
  add({ ...P, id: 'paddle-stale-timestamp', category: 'stale_timestamp', expect: 'reject', signed_at_unix: st, headers: sh, body, reason: 'ts 300 s old (> 5 s).', sdk_check: await chk(body, sh) });
  const rot = H(`ts=${NOW};h1=${h1(NOW, body)};h1=${h1(NOW, body, 'pdl_ntfset_01old0000000000000000000000_previoussecretbeforerotation0')}`);
  add({ ...P, id: 'paddle-rotation-valid-h1-first', category: 'edge', expect: 'accept', signed_at_unix: NOW, headers: rot, body,
    reason: 'Two h1 (rotation), the valid one first. Paddle docs: "at least one h1": accept if any matches.',
    divergence: '@paddle/paddle-node-sdk 3.x keeps only the LAST h1, so it rejects this header.', sdk_check: await chk(body, rot) });
}

// =====================================================================
// Square: own signer; confirmed by WebhooksHelper.verifySignature
// =====================================================================
{
  provider('square', 'square',
    'x-square-hmacsha256-signature: base64 HMAC-SHA256(signature key, notification URL exactly as configured + raw body). No timestamp.',
    ['https://developer.squareup.com/docs/webhooks/step3validate']);
  const KEY = 'sq0wsk-Nf3rT8yU2iO6pA4sD1fG7hJ0kL9zX5c';
  const url = publicURL('square');
  const body = JSON.stringify({ merchant_id: 'ML6B5H5YC8RCF', type: 'payment.updated', event_id: uuid(), created_at: GEN_ISO, data: { type: 'payment', id: 'KkAkhdMsgzn59SM8A89WgKwekxLZY', object: { payment: { amount_money: { amount: 1500, currency: 'USD' }, note: UNI, status: 'COMPLETED' } } } });
  const sign = (u, b, k = KEY) => hmac('sha256', k, u + b, 'base64');
  const H = (s) => ({ 'Content-Type': 'application/json', 'square-version': '2025-10-16', 'square-environment': 'Production', 'x-square-hmacsha256-signature': s });
  const chk = (b, s) => sdk('square', 'WebhooksHelper.verifySignature({requestBody, signatureHeader, signatureKey, notificationUrl})', () => WebhooksHelper.verifySignature({ requestBody: b, signatureHeader: s, signatureKey: KEY, notificationUrl: url }));
  const P = { provider: 'square', source: 'square', config: { secret: KEY, public_url: url }, signed_url: url, signed_by: 'own-code (confirmed by sdk:square WebhooksHelper.verifySignature)' };
  const s = sign(url, body);
  const valid = { ...P, id: 'square-valid', category: 'valid', expect: 'accept', headers: H(s), body, reason: 'Signature over notification URL + body.', sdk_check: await chk(body, s) };
  add(valid);
  const tb = tamper(body, '1500', '15');
  add({ ...P, id: 'square-tampered-body', category: 'tampered_body', expect: 'reject', headers: H(s), body: tb, reason: 'Amount changed.', sdk_check: await chk(tb, s) });
  const ws = sign(url, body, 'sq0wsk-WRONGWRONGWRONGWRONGWRONG000');
  add({ ...P, id: 'square-wrong-key', category: 'wrong_secret', expect: 'reject', headers: H(ws), body, reason: "Another subscription's key.", sdk_check: await chk(body, ws) });
  add(without(valid, 'square-missing-signature', ['x-square-hmacsha256-signature']));
  const us = sign(url + '/', body);
  add({ ...P, id: 'square-url-mismatch', category: 'edge', expect: 'reject', headers: H(us), body, reason: 'Signed over the URL with a trailing slash: the URL is signed.', sdk_check: await chk(body, us) });
}

// =====================================================================
// SendGrid Event Webhook: ECDSA P-256; confirmed by @sendgrid/eventwebhook
// =====================================================================
{
  provider('sendgrid', 'sendgrid',
    'X-Twilio-Email-Event-Webhook-Signature: base64 DER ECDSA P-256/SHA-256 over X-Twilio-Email-Event-Webhook-Timestamp + raw body. Key = base64 DER SubjectPublicKeyInfo. No documented window (policy 300 s).',
    ['https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features']);
  const kp = p256Pair('sendgrid');
  const other = p256Pair('sendgrid other');
  const pubB64 = kp.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const body = JSON.stringify([{ email: 'example@test.com', event: 'processed', sg_event_id: rnd(11), sg_message_id: rnd(11) + '.filter0001', 'smtp-id': '<14c5d75ce93.dfd.64b469@ismtpd-555>', timestamp: NOW, subject: UNI },
    { email: 'example@test.com', event: 'delivered', response: '250 OK', timestamp: NOW }]) + '\r\n';
  const sign = (ts, b, k = kp.privateKey) => crypto.sign('sha256', Buffer.from(ts + b), k).toString('base64');
  const SIG = EventWebhookHeader.SIGNATURE(), TS = EventWebhookHeader.TIMESTAMP();
  const H = (ts, s) => ({ 'Content-Type': 'application/json', 'User-Agent': 'SendGrid Event API', [SIG]: s, [TS]: String(ts) });
  const ew = new EventWebhook();
  const chk = (b, h) => sdk('@sendgrid/eventwebhook', 'EventWebhook.verifySignature(convertPublicKeyToECDSA(key), payload, signature, timestamp)',
    () => ew.verifySignature(ew.convertPublicKeyToECDSA(pubB64), b, h[SIG], h[TS]));
  const P = { provider: 'sendgrid', source: 'sendgrid', config: { public_key: pubB64 }, tolerance_s: 300, signed_by: 'own-code node:crypto ECDSA P-256 (confirmed by sdk:@sendgrid/eventwebhook verifySignature)' };
  const h = H(NOW, sign(NOW, body));
  const valid = { ...P, id: 'sendgrid-valid', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: h, body, reason: 'Batch of events; body ends with CRLF, which is signed.', sdk_check: await chk(body, h) };
  add(valid);
  const tb = tamper(body, 'processed', 'bounce');
  add({ ...P, id: 'sendgrid-tampered-body', category: 'tampered_body', expect: 'reject', signed_at_unix: NOW, headers: h, body: tb, reason: 'Event type altered.', sdk_check: await chk(tb, h) });
  const crlf = body.slice(0, -2);
  add({ ...P, id: 'sendgrid-trailing-crlf-stripped', category: 'edge', expect: 'reject', signed_at_unix: NOW, headers: h, body: crlf,
    reason: 'The signed body ended with CRLF; the same body without it must fail (a verifier that trims bodies would accept).', sdk_check: await chk(crlf, h) });
  const wh = H(NOW, sign(NOW, body, other.privateKey));
  add({ ...P, id: 'sendgrid-wrong-key', category: 'wrong_secret', expect: 'reject', signed_at_unix: NOW, headers: wh, body, reason: 'Signed by another P-256 key.', sdk_check: await chk(body, wh) });
  add(without(valid, 'sendgrid-missing-signature', [SIG]));
  const st = NOW - 900; const sth = H(st, sign(st, body));
  add({ ...P, id: 'sendgrid-stale-timestamp', category: 'stale_timestamp', expect: 'reject', strictness: 'policy', signed_at_unix: st, headers: sth, body,
    reason: 'Timestamp 900 s old; no documented window: 300 s policy.', divergence: '@sendgrid/eventwebhook does not check time: accepts.', sdk_check: await chk(body, sth) });
}

// =====================================================================
// Mailgun: mailgun.js has no verifier; own code per docs
// =====================================================================
{
  provider('mailgun', 'mailgun',
    'In the body: {"signature":{"timestamp","token","signature"},"event-data":{...}} (legacy: form fields). signature = hex HMAC-SHA256(signing key, timestamp + token); event-data is NOT covered. Timestamp window is policy (300 s).',
    ['https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks']);
  const KEY = 'key-7c2f9e4a1b8d3c6f0e5a2b9d4c7f1e3a';
  const sigobj = (t, tok, k = KEY) => ({ token: tok, timestamp: String(t), signature: hmac('sha256', k, String(t) + tok, 'hex') });
  const ev = { event: 'delivered', id: 'CPgfbmQMTCKtHW6uIWtuVe', timestamp: NOW + 0.5, recipient: 'alice@example.com', message: { headers: { 'message-id': '20130503182626.18666.16540@example.com', subject: UNI } } };
  const mk = (s, e = ev) => JSON.stringify({ signature: s, 'event-data': e });
  const P = { provider: 'mailgun', source: 'mailgun', config: { secret: KEY }, tolerance_s: 300, signed_by: 'own-code (no official SDK verifier)' };
  const H = { 'Content-Type': 'application/json', 'User-Agent': 'mailgun/treq-16.12.0' };
  add({ ...P, id: 'mailgun-valid', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: H, body: mk(sigobj(NOW, rnd(25))), reason: 'signature object valid.' });
  add({ ...P, id: 'mailgun-tampered-event-data-still-accepted', category: 'tampered_body', expect: 'accept', signed_at_unix: NOW, headers: H,
    body: mk(sigobj(NOW, rnd(25)), { ...ev, event: 'failed', recipient: 'mallory@example.com' }),
    reason: 'event-data altered, signature (timestamp+token only) intact: Mailgun signs no payload, so a faithful verifier accepts.' });
  add({ ...P, id: 'mailgun-tampered-token', category: 'tampered_body', expect: 'reject', signed_at_unix: NOW, headers: H, body: mk({ ...sigobj(NOW, rnd(25)), token: rnd(25) }), reason: 'token changed after signing.' });
  add({ ...P, id: 'mailgun-wrong-key', category: 'wrong_secret', expect: 'reject', signed_at_unix: NOW, headers: H, body: mk(sigobj(NOW, rnd(25), 'key-00000000000000000000000000000000')), reason: 'Another signing key.' });
  add({ ...P, id: 'mailgun-missing-signature', category: 'missing_signature', expect: 'reject', headers: H, body: JSON.stringify({ 'event-data': ev }), reason: 'No signature object.' });
  const st = NOW - 900;
  add({ ...P, id: 'mailgun-stale-timestamp', category: 'stale_timestamp', expect: 'reject', strictness: 'policy', signed_at_unix: st, headers: H, body: mk(sigobj(st, rnd(25))),
    reason: 'Signed timestamp 900 s old; Mailgun advises checking freshness: 300 s policy.' });
  const lf = new URLSearchParams({ ...sigobj(NOW, rnd(25)), event: 'delivered', recipient: 'alice@example.com', domain: 'mg.example.com', 'message-headers': '[["Subject", "caf\u00e9"]]' }).toString();
  add({ ...P, id: 'mailgun-valid-legacy-form', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: { ...H, 'Content-Type': 'application/x-www-form-urlencoded' }, body: lf,
    reason: 'Legacy webhook: timestamp/token/signature as form fields.' });
}

// =====================================================================
// Linear: own signer; confirmed by @linear/sdk LinearWebhookClient.verify
// =====================================================================
{
  provider('linear', 'linear',
    'Linear-Signature: hex HMAC-SHA256(signing secret, raw body). Freshness from the body field webhookTimestamp (unix ms), 60 s.',
    ['https://linear.app/developers/webhooks#securing-webhooks']);
  const SECRET = 'lin_wh_Q2v8X1c5Z9b3N7m4K0j6H2g8F5d1S3a7';
  const mk = (tsms) => JSON.stringify({ action: 'create', type: 'Issue', createdAt: GEN_ISO, organizationId: uuid(), url: 'https://linear.app/acme/issue/ENG-123', webhookTimestamp: tsms, webhookId: uuid(),
    data: { id: uuid(), identifier: 'ENG-123', title: `Fix ${UNI}`, priority: 2 } });
  const sign = (b, s = SECRET) => hmac('sha256', s, b, 'hex');
  const H = (s, tsms) => ({ 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'Linear-Webhook', 'Linear-Delivery': uuid(), 'Linear-Event': 'Issue', 'Linear-Signature': s, 'Linear-Timestamp': String(tsms) });
  const chk = (b, s) => sdk('@linear/sdk', 'new LinearWebhookClient(secret).verify(rawBody, signature) [60 s]', () => new LinearWebhookClient(SECRET).verify(Buffer.from(b), s));
  const P = { provider: 'linear', source: 'linear', config: { secret: SECRET }, tolerance_s: 60, signed_by: 'own-code (confirmed by sdk:@linear/sdk LinearWebhookClient.verify)' };
  const body = mk(NOW_MS); const s = sign(body);
  const valid = { ...P, id: 'linear-valid', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: H(s, NOW_MS), body, reason: 'webhookTimestamp = generation time (ms).', sdk_check: await chk(body, s) };
  add(valid);
  const tb = tamper(body, '"priority":2', '"priority":0');
  add({ ...P, id: 'linear-tampered-body', category: 'tampered_body', expect: 'reject', signed_at_unix: NOW, headers: H(s, NOW_MS), body: tb, reason: 'Priority changed.', sdk_check: await chk(tb, s) });
  const ws = sign(body, 'lin_wh_wrongwrongwrongwrongwrongwrong00');
  add({ ...P, id: 'linear-wrong-secret', category: 'wrong_secret', expect: 'reject', signed_at_unix: NOW, headers: H(ws, NOW_MS), body, reason: 'Another secret.', sdk_check: await chk(body, ws) });
  add(without(valid, 'linear-missing-signature', ['Linear-Signature']));
  const sms = NOW_MS - 600_000; const sb = mk(sms); const ss = sign(sb);
  add({ ...P, id: 'linear-stale-timestamp', category: 'stale_timestamp', expect: 'reject', signed_at_unix: Math.floor(sms / 1000), headers: H(ss, sms), body: sb,
    reason: "Signed body's webhookTimestamp 10 min old (> 60 s).", sdk_check: await chk(sb, ss) });
  const fb = mk(NOW_MS); const fs2 = sign(fb);
  add({ ...P, id: 'linear-fresh-body-stale-header', category: 'edge', expect: 'accept', signed_at_unix: NOW, headers: H(fs2, NOW_MS - 600_000), body: fb,
    reason: 'Linear-Timestamp header 10 min old but the signed webhookTimestamp is fresh: freshness comes from the signed body field, not the unsigned header.',
    sdk_check: await chk(fb, fs2) });
}

// =====================================================================
// Intercom, Typeform, Bitbucket, Meta, Mollie: own code per docs
// =====================================================================
{
  const simple = (name, preset, notes, docs, { secret, wrong, header, prefix, alg, enc, body, tamperFrom, tamperTo, extraHeaders = {} }) => {
    provider(name, preset, notes, docs);
    const sig = (b, k = secret) => prefix + hmac(alg, k, b, enc);
    const H = (s) => ({ 'Content-Type': 'application/json', ...extraHeaders, [header]: s });
    const P = { provider: name, source: name, config: { secret }, signed_by: 'own-code (no official SDK verifier)' };
    const valid = { ...P, id: `${name}-valid`, category: 'valid', expect: 'accept', headers: H(sig(body)), body, reason: `${prefix}<${enc}> ${alg} HMAC of the raw body.` };
    add(valid);
    add({ ...P, id: `${name}-tampered-body`, category: 'tampered_body', expect: 'reject', headers: H(sig(body)), body: tamper(body, tamperFrom, tamperTo), reason: 'Body altered.' });
    add({ ...P, id: `${name}-wrong-secret`, category: 'wrong_secret', expect: 'reject', headers: H(sig(body, wrong)), body, reason: 'Another secret.' });
    add(without(valid, `${name}-missing-signature`, [header]));
  };
  simple('intercom', 'intercom', 'X-Hub-Signature: "sha1=" + hex HMAC-SHA1(client_secret, raw body). No timestamp.',
    ['https://developers.intercom.com/docs/webhooks'], {
      secret: 'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b', wrong: '00000000-0000-0000-0000-000000000000', header: 'X-Hub-Signature', prefix: 'sha1=', alg: 'sha1', enc: 'hex',
      body: JSON.stringify({ type: 'notification_event', app_id: 'abc123de', data: { type: 'notification_event_data', item: { type: 'conversation', id: '147', source: { body: `<p>${UNI}</p>` } } }, topic: 'conversation.user.created', id: 'notif_' + uuid(), created_at: NOW, delivery_attempts: 1 }),
      tamperFrom: '"147"', tamperTo: '"148"', extraHeaders: { 'User-Agent': 'intercom-parrot-service-worker' } });
  simple('typeform', 'typeform', 'Typeform-Signature: "sha256=" + base64 HMAC-SHA256(secret, raw body). No timestamp.',
    ['https://www.typeform.com/developers/webhooks/secure-your-webhooks/'], {
      secret: 'tf-secret-Yh3kP9qL2mN7', wrong: 'tf-secret-wrong', header: 'Typeform-Signature', prefix: 'sha256=', alg: 'sha256', enc: 'base64',
      body: JSON.stringify({ event_id: '01' + rnd(12).toUpperCase(), event_type: 'form_response', form_response: { form_id: 'lT4Z3j', token: 'a3a12ec67a1365927098a606107fac15', submitted_at: GEN_ISO, answers: [{ type: 'text', text: UNI, field: { id: 'DlXFaesGBpoF', type: 'long_text' } }] } }),
      tamperFrom: 'long_text', tamperTo: 'short_text', extraHeaders: { 'User-Agent': 'Typeform Webhooks' } });
  simple('bitbucket', 'bitbucket', 'X-Hub-Signature (no -256 suffix): "sha256=" + hex HMAC-SHA256(secret, raw body). No timestamp.',
    ['https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/'], {
      secret: 'bb-wh-secret-8d2f6a0c4e', wrong: 'bb-wrong', header: 'X-Hub-Signature', prefix: 'sha256=', alg: 'sha256', enc: 'hex',
      body: JSON.stringify({ push: { changes: [{ new: { type: 'branch', name: 'main', target: { hash: '709d658dc5b6d6afcd46049c2f332ee3f515a67d', message: `Merge ${UNI}` } } }] }, repository: { full_name: 'team/repo', uuid: '{' + uuid() + '}' }, actor: { display_name: 'Ann' } }),
      tamperFrom: '"main"', tamperTo: '"evil"', extraHeaders: { 'User-Agent': 'Bitbucket-Webhooks/2.0', 'X-Event-Key': 'repo:push', 'X-Request-UUID': uuid() } });
  simple('mollie', 'mollie', 'Next-gen webhooks: X-Mollie-Signature: "sha256=" + hex HMAC-SHA256(signing secret, raw body). Classic webhooks are unsigned.',
    ['https://docs.mollie.com/reference/webhooks-best-practices', 'https://github.com/mollie/mollie-api-php/blob/master/src/Webhooks/SignatureValidator.php'], {
      secret: 'mollie-whsec-4Xz8pQ1rT6vW9yB2', wrong: 'mollie-whsec-wrong', header: 'X-Mollie-Signature', prefix: 'sha256=', alg: 'sha256', enc: 'hex',
      body: JSON.stringify({ resource: 'event', id: 'event_' + rnd(8), type: 'payment-link.paid', entityId: 'pl_' + rnd(6), createdAt: GEN_ISO, _embedded: { entity: { resource: 'payment-link', description: UNI, amount: { value: '24.95', currency: 'EUR' } } } }),
      tamperFrom: '24.95', tamperTo: '0.01', extraHeaders: { 'User-Agent': 'Mollie HTTP Client' } });
}
{
  provider('meta', 'meta',
    'X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256(App Secret, raw body). Meta escapes non-ASCII as \\uXXXX and "/" as "\\/" in the raw body: verify the bytes, never re-serialize. GET ?hub.mode=subscribe&hub.verify_token=..&hub.challenge=.. -> 200 challenge; wrong token -> 403.',
    ['https://developers.facebook.com/docs/graph-api/webhooks/getting-started']);
  const APP_SECRET = '6e5f4d3c2b1a09f8e7d6c5b4a3928170';
  const VERIFY = 'meatyhamhock-verify-token';
  const metaJson = (o) => JSON.stringify(o).replace(/\//g, '\\/').replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  const body = metaJson({ object: 'whatsapp_business_account', entry: [{ id: '102290129340398', changes: [{ value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
    messages: [{ from: '16505551234', id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQz' + rnd(6), timestamp: String(NOW), text: { body: `Ol\u00e1 ${UNI} https://example.com/a/b` }, type: 'text' }] }, field: 'messages' }] }] });
  const s256 = (b, k = APP_SECRET) => 'sha256=' + hmac('sha256', k, b, 'hex');
  const s1 = (b, k = APP_SECRET) => 'sha1=' + hmac('sha1', k, b, 'hex');
  const H = (b, k) => ({ 'Content-Type': 'application/json', 'User-Agent': 'facebookexternalua', 'X-Hub-Signature': s1(b, k), 'X-Hub-Signature-256': s256(b, k) });
  const P = { provider: 'meta', source: 'meta', config: { secret: APP_SECRET, verify_token: VERIFY }, signed_by: 'own-code (no official SDK verifier)' };
  const valid = { ...P, id: 'meta-valid', category: 'valid', expect: 'accept', headers: H(body), body, reason: 'WhatsApp message; raw body with \\u-escaped non-ASCII and escaped slashes, as Meta sends it.' };
  add(valid);
  add({ ...P, id: 'meta-tampered-body', category: 'tampered_body', expect: 'reject', headers: H(body), body: tamper(body, '16505551234', '16505550000'), reason: 'Sender changed.' });
  const unescaped = JSON.stringify(JSON.parse(body));
  add({ ...P, id: 'meta-unescaped-reserialized-body', category: 'edge', expect: 'reject', headers: H(body), body: unescaped,
    reason: 'Same JSON value re-serialized without Meta\'s escapes: different bytes, so the MAC must fail (a verifier that re-serializes would be fooled either way).' });
  add({ ...P, id: 'meta-wrong-secret', category: 'wrong_secret', expect: 'reject', headers: H(body, '00000000000000000000000000000000'), body, reason: 'Another app secret.' });
  add(without(valid, 'meta-missing-signature', ['X-Hub-Signature-256', 'X-Hub-Signature']));
  const ch = String(1000000000 + crypto.randomInt(1e9));
  const UA = { 'User-Agent': 'facebookplatform/1.0 (+http://developers.facebook.com)' };
  add({ ...P, id: 'meta-subscribe-challenge', category: 'challenge', expect: 'accept', method: 'GET', query: `hub.mode=subscribe&hub.challenge=${ch}&hub.verify_token=${encodeURIComponent(VERIFY)}`,
    headers: UA, body: '', signed_by: 'n/a (shared verify token)', reason: 'verify_token matches: 200 with hub.challenge as the body.',
    expected_response: { status: 200, content_type: 'text/plain', body: ch } });
  add({ ...P, id: 'meta-subscribe-wrong-verify-token', category: 'challenge', expect: 'reject', method: 'GET', query: `hub.mode=subscribe&hub.challenge=${ch}&hub.verify_token=not-my-token`,
    headers: UA, body: '', signed_by: 'n/a', reason: 'verify_token does not match: 403, and the challenge is not echoed.', expected_response: { status: 403 } });
}

// =====================================================================
// Zoom: own signer; confirmed by @zoom/rivet AwsLambdaReceiver
// =====================================================================
{
  provider('zoom', 'zoom',
    'x-zm-signature: "v0=" + hex HMAC-SHA256(Secret Token, "v0:" + x-zm-request-timestamp + ":" + raw body). endpoint.url_validation -> 200 JSON {"plainToken", "encryptedToken": hex HMAC-SHA256(Secret Token, plainToken)}. No documented window (policy 300 s).',
    ['https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events']);
  const SECRET = 'zm_secret_tkn_Q7w2E9r4T1y6';
  const sign = (ts, b, s = SECRET) => 'v0=' + hmac('sha256', s, `v0:${ts}:${b}`, 'hex');
  const H = (ts, s) => ({ 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'Zoom Marketplace/1.0a', 'x-zm-request-timestamp': String(ts), 'x-zm-signature': s, 'x-zm-trackingid': 'v=2.0;clid=aw1;rid=' + rnd(8) });
  const rcv = new AwsLambdaReceiver({ webhooksSecretToken: SECRET });
  rcv.init({ eventEmitter: { emit: async () => {} } });
  const handler = rcv.start();
  const chk = (b, h) => sdk('@zoom/rivet', 'AwsLambdaReceiver.start()(event) [meetings]', async () => {
    const dbg = console.debug; console.debug = () => {};
    try {
      const r = await handler({ body: b, headers: h, isBase64Encoded: false }, {});
      return { valid: r.statusCode === 200, detail: `status=${r.statusCode} body=${r.body}` };
    } finally { console.debug = dbg; }
  });
  const P = { provider: 'zoom', source: 'zoom', config: { secret: SECRET }, tolerance_s: 300, signed_by: 'own-code (confirmed by sdk:@zoom/rivet AwsLambdaReceiver)' };
  const body = JSON.stringify({ event: 'meeting.started', event_ts: NOW_MS, payload: { account_id: 'AAAAAABBBB', object: { id: '1234567890', uuid: rnd(8), host_id: 'x1yCzABCDEfg23HiJKl4mN', topic: `Standup ${UNI}`, type: 2, start_time: GEN_ISO.slice(0, 19) + 'Z', timezone: 'UTC' } } });
  const h = H(NOW, sign(NOW, body));
  const valid = { ...P, id: 'zoom-valid', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: h, body, reason: 'meeting.started, compact JSON.', sdk_check: await chk(body, h) };
  add(valid);
  const tb = tamper(body, 'meeting.started', 'meeting.ended');
  add({ ...P, id: 'zoom-tampered-body', category: 'tampered_body', expect: 'reject', signed_at_unix: NOW, headers: h, body: tb, reason: 'Event altered.', sdk_check: await chk(tb, h) });
  const wh = H(NOW, sign(NOW, body, 'zm_wrong_secret_token'));
  add({ ...P, id: 'zoom-wrong-secret', category: 'wrong_secret', expect: 'reject', signed_at_unix: NOW, headers: wh, body, reason: 'Another secret token.', sdk_check: await chk(body, wh) });
  add(without(valid, 'zoom-missing-signature', ['x-zm-signature']));
  const st = NOW - 900; const sh = H(st, sign(st, body));
  add({ ...P, id: 'zoom-stale-timestamp', category: 'stale_timestamp', expect: 'reject', strictness: 'policy', signed_at_unix: st, headers: sh, body,
    reason: 'Timestamp 900 s old; no documented window: 300 s policy.', divergence: '@zoom/rivet does not check the timestamp: accepts.', sdk_check: await chk(body, sh) });
  const plain = rnd(11);
  const vb = JSON.stringify({ payload: { plainToken: plain }, event_ts: NOW_MS, event: 'endpoint.url_validation' });
  const vh = H(NOW, sign(NOW, vb));
  const vchk = await chk(vb, vh);
  const want = JSON.stringify({ plainToken: plain, encryptedToken: hmac('sha256', SECRET, plain, 'hex') });
  const sdkBody = JSON.parse(vchk.detail.slice(vchk.detail.indexOf('body=') + 5));
  if (sdkBody.encryptedToken !== hmac('sha256', SECRET, plain, 'hex')) throw new Error('zoom: the SDK encryptedToken differs from expected_response');
  add({ ...P, id: 'zoom-url-validation-challenge', category: 'challenge', expect: 'accept', signed_at_unix: NOW, headers: vh, body: vb,
    reason: 'Signed endpoint.url_validation: 200 JSON {plainToken, encryptedToken}. The answer equals @zoom/rivet\'s.', expected_response: { status: 200, content_type: 'application/json', body: want }, sdk_check: vchk });
  const vwh = H(NOW, sign(NOW, vb, 'zm_wrong_secret_token'));
  add({ ...P, id: 'zoom-url-validation-wrong-secret', category: 'challenge', expect: 'reject', signed_at_unix: NOW, headers: vwh, body: vb,
    reason: 'url_validation signed with another secret token: must not be answered (it would hand out an HMAC oracle).', sdk_check: await chk(vb, vwh) });
  const pretty = JSON.stringify(JSON.parse(body), null, 1);
  const ph = H(NOW, sign(NOW, pretty));
  add({ ...P, id: 'zoom-raw-body-whitespace', category: 'edge', expect: 'accept', strictness: 'policy', signed_at_unix: NOW, headers: ph, body: pretty,
    reason: 'MAC over a raw body with whitespace. The documented scheme signs the request body, so a raw-bytes verifier accepts.',
    divergence: '@zoom/rivet verifies JSON.stringify(parsed body), so it rejects any non-compact body.', sdk_check: await chk(pretty, ph) });
}

// =====================================================================
// HubSpot: Signature.getSignature (v1/v2/v3) + Signature.isValid
// =====================================================================
{
  provider('hubspot', 'hubspot',
    'v3: X-HubSpot-Signature-v3 = base64 HMAC-SHA256(client secret, method + URI + raw body + X-HubSpot-Request-Timestamp (ms)); 5 min; URI = full public URL with some %XX decoded. v2: hex SHA-256(secret + method + URI + body). v1: hex SHA-256(secret + body).',
    ['https://developers.hubspot.com/docs/api/webhooks/validating-requests', 'https://github.com/HubSpot/hubspot-api-nodejs/blob/master/lib/src/utils/signature.ts']);
  const SECRET = 'b2a9c8d7-e6f5-4a3b-9c1d-0e2f3a4b5c6d';
  const PUB = publicURL('hubspot');
  const q = 'portalId=62515';
  const url = `${PUB}?${q}`;
  const body = JSON.stringify([{ eventId: crypto.randomInt(1e9), subscriptionId: 12345, portalId: 62515, appId: 54321, occurredAt: NOW_MS, subscriptionType: 'contact.propertyChange', attemptNumber: 0, objectId: 123, propertyName: 'firstname', propertyValue: UNI, changeSource: 'CRM' }]);
  const v3 = (u, b, ts, s = SECRET) => HubSpotSignature.getSignature('POST', 'v3', { clientSecret: s, url: u, requestBody: b, timestamp: ts });
  const H3 = (sig, ts) => ({ 'Content-Type': 'application/json', 'User-Agent': 'HubSpot Connect 2.0 (http://dev.hubspot.com/)', 'X-HubSpot-Signature-v3': sig, 'X-HubSpot-Request-Timestamp': String(ts) });
  const chk3 = (u, b, sig, ts) => sdk('@hubspot/api-client', 'Signature.isValid({signatureVersion:"v3", ...}) [300 s]', () => HubSpotSignature.isValid({ signatureVersion: 'v3', signature: sig, clientSecret: SECRET, requestBody: b, url: u, method: 'POST', timestamp: ts }));
  const P = { provider: 'hubspot', source: 'hubspot', config: { secret: SECRET, public_url: PUB }, query: q, signed_url: url, tolerance_s: 300, signed_by: 'sdk:@hubspot/api-client Signature.getSignature()' };
  const s = v3(url, body, NOW_MS);
  const valid = { ...P, id: 'hubspot-v3-valid', category: 'valid', expect: 'accept', signed_at_unix: NOW, headers: H3(s, NOW_MS), body, reason: 'v3 from Signature.getSignature (timestamp in ms).', sdk_check: await chk3(url, body, s, NOW_MS) };
  add(valid);
  const tb = tamper(body, 'firstname', 'lastname');
  add({ ...P, id: 'hubspot-v3-tampered-body', category: 'tampered_body', expect: 'reject', signed_at_unix: NOW, headers: H3(s, NOW_MS), body: tb, reason: 'Property altered.', sdk_check: await chk3(url, tb, s, NOW_MS) });
  const ws = v3(url, body, NOW_MS, '00000000-0000-0000-0000-000000000000');
  add({ ...P, id: 'hubspot-v3-wrong-secret', category: 'wrong_secret', expect: 'reject', signed_at_unix: NOW, headers: H3(ws, NOW_MS), body, reason: "Another app's client secret.", sdk_check: await chk3(url, body, ws, NOW_MS) });
  add(without(valid, 'hubspot-v3-missing-signature', ['X-HubSpot-Signature-v3']));
  const st = NOW_MS - 900_000; const ss = v3(url, body, st);
  add({ ...P, id: 'hubspot-v3-stale-timestamp', category: 'stale_timestamp', expect: 'reject', signed_at_unix: Math.floor(st / 1000), headers: H3(ss, st), body, reason: 'Timestamp 15 min old (> 5 min).', sdk_check: await chk3(url, body, ss, st) });
  const rq = `${q}&returnTo=https%3A%2F%2Fapp.example.com%2Fdone%3Fok%3D1`;
  const rawUrl = `${PUB}?${rq}`;
  const decUrl = rawUrl.replace(/%3A/gi, ':').replace(/%2F/gi, '/').replace(/%3F/gi, '?').replace(/%40/gi, '@').replace(/%21/gi, '!').replace(/%24/gi, '$').replace(/%27/gi, "'").replace(/%28/gi, '(').replace(/%29/gi, ')').replace(/%2A/gi, '*').replace(/%2C/gi, ',').replace(/%3B/gi, ';');
  const es = v3(decUrl, body, NOW_MS);
  add({ ...P, id: 'hubspot-v3-encoded-uri', category: 'edge', expect: 'accept', signed_at_unix: NOW, query: rq, signed_url: decUrl, headers: H3(es, NOW_MS), body,
    reason: 'Query holds %3A %2F %3F; HubSpot decodes these before signing. The SDK needs the caller to pass the decoded URI.', sdk_check: await chk3(decUrl, body, es, NOW_MS) });
  const H12 = (sig, v) => ({ 'Content-Type': 'application/json', 'User-Agent': 'HubSpot Connect 2.0 (http://dev.hubspot.com/)', 'X-HubSpot-Signature': sig, 'X-HubSpot-Signature-Version': v });
  const chk12 = (v, u, b, sig, sec = SECRET) => sdk('@hubspot/api-client', `Signature.isValid({signatureVersion:"${v}"})`, () => HubSpotSignature.isValid({ signatureVersion: v, signature: sig, clientSecret: sec, requestBody: b, url: u, method: 'POST' }));
  // v1 and v2 are separate presets, so that a v3 source cannot be downgraded to the untimed versions.
  const V1 = { provider: 'hubspot', preset: 'hubspot-v1', source: 'hubspot-v1', config: { secret: SECRET }, signed_by: P.signed_by };
  const s1 = HubSpotSignature.getSignature('POST', 'v1', { clientSecret: SECRET, requestBody: body });
  add({ ...V1, id: 'hubspot-v1-valid', category: 'valid', expect: 'accept', headers: H12(s1, 'v1'), body, reason: 'v1: hex SHA-256(secret + body) (plain hash).', sdk_check: await chk12('v1', url, body, s1) });
  const t1 = tamper(body, 'firstname', 'lastname');
  add({ ...V1, id: 'hubspot-v1-tampered-body', category: 'tampered_body', expect: 'reject', headers: H12(s1, 'v1'), body: t1, reason: 'v1 body altered.', sdk_check: await chk12('v1', url, t1, s1) });
  add({ ...P, id: 'hubspot-v3-source-refuses-v1', category: 'edge', expect: 'reject', headers: H12(s1, 'v1'), body,
    reason: 'A valid v1 signature sent to the v3 source: v1 has no timestamp, so accepting it would let a replay past the v3 window.', sdk_check: await chk3(url, body, s1, NOW_MS) });
  const V2URL = publicURL('hubspot-v2');
  const v2url = `${V2URL}?${q}`;
  const V2 = { provider: 'hubspot', preset: 'hubspot-v2', source: 'hubspot-v2', config: { secret: SECRET, public_url: V2URL }, query: q, signed_url: v2url, signed_by: P.signed_by };
  const s2 = HubSpotSignature.getSignature('POST', 'v2', { clientSecret: SECRET, url: v2url, requestBody: body });
  add({ ...V2, id: 'hubspot-v2-valid', category: 'valid', expect: 'accept', headers: H12(s2, 'v2'), body, reason: 'v2: hex SHA-256(secret + method + URI + body) (plain hash; workflow actions).', sdk_check: await chk12('v2', v2url, body, s2) });
  const t2 = tamper(body, 'firstname', 'lastname');
  add({ ...V2, id: 'hubspot-v2-tampered-body', category: 'tampered_body', expect: 'reject', headers: H12(s2, 'v2'), body: t2, reason: 'v2 body altered.', sdk_check: await chk12('v2', v2url, t2, s2) });
  const KS = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
  const KB = '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]';
  const K1 = '232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de';
  add({ provider: 'hubspot', preset: 'hubspot-v1', source: 'hubspot-v1-vector', config: { secret: KS }, id: 'hubspot-v1-docs-test-vector', category: 'known_answer', expect: 'accept',
    headers: H12(K1, 'v1'), body: KB, reason: 'HubSpot docs v1 example.', signed_by: 'provider docs test vector', sdk_check: await chk12('v1', url, KB, K1, KS) });
}

// =====================================================================
// Microsoft Graph change notifications: validationToken + clientState
// =====================================================================
{
  provider('msgraph', 'msgraph',
    'Validation: POST ?validationToken=<url-encoded> (empty body) -> 200 text/plain, body = the DECODED token, within 10 s. Notifications: JSON {"value":[...]} each with clientState, compared to the secret set at subscription. No HMAC.',
    ['https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks']);
  const CS = 'graph-clientState-9e8d7c6b5a40';
  const token = `Validation: Testing client application reachability for subscription Request-Id: ${uuid()}`;
  const P = { provider: 'msgraph', source: 'msgraph', config: { secret: CS }, signed_by: 'n/a (no signature; shared clientState)' };
  add({ ...P, id: 'msgraph-validation-token-challenge', category: 'challenge', expect: 'accept', query: 'validationToken=' + encodeURIComponent(token),
    headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: '', reason: 'Echo the decoded validationToken as text/plain, 200.',
    expected_response: { status: 200, content_type: 'text/plain', body: token } });
  const mk = (cs) => JSON.stringify({ value: [{ subscriptionId: uuid(), subscriptionExpirationDateTime: new Date(NOW_MS + 3 * 86400e3).toISOString(), changeType: 'created',
    resource: 'Users/7a9c/Messages/AAMkAGUw', resourceData: { '@odata.type': '#Microsoft.Graph.Message', '@odata.id': 'Users/7a9c/Messages/AAMkAGUw', id: 'AAMkAGUw' }, clientState: cs, tenantId: uuid() }] });
  add({ ...P, id: 'msgraph-notification-valid-clientstate', category: 'valid', expect: 'accept', headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: mk(CS),
    reason: 'clientState matches. Graph documents 202 Accepted as the answer once the notification is taken.', expected_response: { status: 202 } });
  add({ ...P, id: 'msgraph-notification-wrong-clientstate', category: 'wrong_secret', expect: 'reject', headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: mk('attacker-guess'),
    reason: 'clientState does not match.' });
  add({ ...P, id: 'msgraph-notification-missing-clientstate', category: 'missing_signature', expect: 'reject', headers: { 'Content-Type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ value: [{ subscriptionId: uuid(), changeType: 'created', resource: 'Users/7a9c/Messages/AAMkAGUw', tenantId: uuid() }] }), reason: 'No clientState.' });
}

// =====================================================================
// Self-consistency gate: every SDK verdict must equal `expect` unless a
// divergence is recorded; a stale case must verify at its signing time.
// =====================================================================
const problems = [];
for (const c of cases) {
  if (!c.sdk_check) continue;
  if (c.category === 'stale_timestamp') {
    const r = await c.sdk_check.rerun(c.signed_at_unix);
    c.sdk_check.verdict_at_signed_at_unix = r.verdict;
    if (r.verdict !== 'accept') problems.push(`${c.id}: stale case does not verify even at its signing time (${r.detail || ''})`);
  }
  const agree = c.sdk_check.verdict === c.expect;
  c.sdk_check.agrees_with_expect = agree;
  if (!agree && !c.divergence) problems.push(`${c.id}: sdk=${c.sdk_check.verdict} expect=${c.expect} ${c.sdk_check.detail || ''}`);
  if (agree && c.divergence) problems.push(`${c.id}: divergence recorded but the SDK agrees (${c.sdk_check.verdict})`);
}

const packages = {};
for (const name of Object.keys(JSON.parse(fs.readFileSync(path.join(HERE, 'package.json'), 'utf8')).dependencies)) packages[name] = pkgVersion(name);
packages['starkbank-ecdsa'] = pkgVersion('starkbank-ecdsa');

const counts = {};
for (const c of cases) counts[c.provider] = (counts[c.provider] || 0) + 1;
const corpus = {
  corpus: 'hookgate-provider-conformance',
  version: 1,
  generated_at: GEN_ISO,
  generated_at_unix: NOW,
  generated_at_ms: NOW_MS,
  node: process.version,
  public_base: BASE,
  packages,
  providers: PROVIDERS,
  sources: SOURCES,
  counts: { ...counts, total: cases.length },
  cases,
};
const outIdx = process.argv.indexOf('--out');
const out = outIdx > 0 ? process.argv[outIdx + 1] : path.join(HERE, 'corpus.json');
fs.writeFileSync(out, JSON.stringify(corpus, null, 2) + '\n');

const div = cases.filter((c) => c.divergence);
console.log(`gen.mjs: ${cases.length} cases, ${Object.keys(PROVIDERS).length} providers, ${Object.keys(SOURCES).length} sources, ` +
  `${cases.filter((c) => c.sdk_check).length} SDK-checked, ${div.length} SDK divergences, signing took ${Date.now() - NOW_MS} ms -> ${path.relative(process.cwd(), out) || out}`);
if (problems.length) {
  console.error('gen.mjs: SDK verdicts disagree with the corpus:');
  for (const p of problems) console.error('  ' + p);
  process.exit(1);
}

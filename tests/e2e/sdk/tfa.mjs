// Two-factor enforced by the API, driven with the official Directus SDK (tests/e2e/
// test_sdk_tfa_enforced.py runs it):
//
//   node tfa.mjs enforced <url> <email> <password> <collection>
//
// Signs in (json mode), reads the collection (refused: TFA_SETUP_REQUIRED), enrols TOTP through
// the SDK's generateTwoFactorSecret + enableTwoFactor (the code computed here, RFC 6238), and
// reads the collection again with the same client. Prints one JSON line of outcomes.

import { createHmac } from 'node:crypto';

import {
  authentication,
  createDirectus,
  enableTwoFactor,
  generateTwoFactorSecret,
  readItems,
  readMe,
  rest,
} from '@directus/sdk';

function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of text.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

function totp(secret, now = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 1000 / 30)));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, '0');
}

async function outcome(promise) {
  try {
    return { ok: true, value: (await promise) ?? null };
  } catch (error) {
    const first = Array.isArray(error?.errors) ? error.errors[0] : undefined;
    return {
      ok: false,
      status: error?.response?.status ?? null,
      code: first?.extensions?.code ?? null,
      message: first?.message ?? error?.message ?? String(error),
    };
  }
}

const commands = {};

commands.enforced = async (url, email, password, collection) => {
  const client = createDirectus(url).with(authentication('json')).with(rest());
  const result = {};
  result.login = await outcome(client.login({ email, password }));
  result.read_before = await outcome(client.request(readItems(collection)));
  result.me_before = await outcome(client.request(readMe({ fields: ['id'] })));
  const generated = await outcome(client.request(generateTwoFactorSecret(password)));
  result.generated = generated.ok ? { ok: true, has_secret: Boolean(generated.value.secret) } : generated;
  if (generated.ok) {
    result.enabled = await outcome(client.request(enableTwoFactor(generated.value.secret, totp(generated.value.secret))));
  }
  result.read_after = await outcome(client.request(readItems(collection)));
  return result;
};

const [command, ...args] = process.argv.slice(2);
if (!(command in commands)) {
  console.error(`unknown command ${command}; one of: ${Object.keys(commands).join(', ')}`);
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(await commands[command](...args))}\n`);
process.exit(0);

/**
 * Secrets are stored only as slow hashes (scrypt) and compared in constant time.
 * Format: scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>, so parameters can be raised later
 * without invalidating stored hashes.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';

const SCRYPT_N = 16_384;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const KEY_LEN = 32;
const SCRYPT_MAXMEM = 64 * 1024 * 1024;

function scrypt(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(secret, salt, KEY_LEN, { N: n, r, p, maxmem: SCRYPT_MAXMEM }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P);
  return ['scrypt', SCRYPT_N, SCRYPT_R, SCRYPT_P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

// A well-formed hash of a random value: unknown client ids are checked against it so a wrong id
// costs the same time as a wrong secret.
const DUMMY_HASH = `scrypt$${SCRYPT_N}$${SCRYPT_R}$${SCRYPT_P}$${randomBytes(16).toString('base64url')}$${randomBytes(KEY_LEN).toString('base64url')}`;

export async function verifySecret(secret: string, stored: string | null | undefined): Promise<boolean> {
  const parts = (stored ?? DUMMY_HASH).split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashB64, 'base64url');
  const actual = await scrypt(secret, Buffer.from(saltB64, 'base64url'), Number(n), Number(r), Number(p));
  const same = expected.length === actual.length && timingSafeEqual(expected, actual);
  return same && stored != null;
}

/** Random identifiers and secrets, URL-safe. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

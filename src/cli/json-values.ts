// Values in JSON for the shell client: what a command line's JSON becomes for the client, and how
// the client's values print. The types are checked by the client against the space's schema (one
// place for that), so this module only keeps numbers exact: integers are read with every digit
// (lossless-json; JSON.parse would round past 2^53) and bigints print with every digit.

import { parse, stringify } from 'lossless-json';
import type { Value } from '../client/client';
import { UsageError } from './args';

/** An integer stays a number while exact, else becomes a bigint; anything else is a double. */
function readNumber(text: string): number | bigint {
  if (/^-?\d+$/.test(text)) {
    const n = BigInt(text);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }
  return Number(text);
}

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** A number written as JSON writes one (e.g. a key on the command line), else undefined. */
export function numberFromText(text: string): number | bigint | undefined {
  return JSON_NUMBER.test(text) ? readNumber(text) : undefined;
}

/** Parses one JSON argument; `what` names it in the error (e.g. 'ATTRIBUTES'). */
export function parseJsonArgument(text: string, what: string): unknown {
  try {
    return parse(text, undefined, readNumber);
  } catch (e) {
    throw new UsageError(`${what} is not valid JSON: ${(e as Error).message} (in ${abbreviate(text)})`);
  }
}

/** Parses a JSON object argument: attributes, a condition or a predicate. */
export function parseJsonObject(text: string, what: string, example: string): Record<string, unknown> {
  const v = parseJsonArgument(text, what);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(`${what} must be a JSON object such as ${example}, got ${abbreviate(text)}`);
  return v as Record<string, unknown>;
}

const ABBREVIATED_CHARS_MAX = 60;

function abbreviate(text: string): string {
  return text.length <= ABBREVIATED_CHARS_MAX ? text : `${text.slice(0, ABBREVIATED_CHARS_MAX)}...`;
}

/**
 * A client value as plain JSON data: sets as arrays, maps as objects, strings that are not valid
 * UTF-8 (which the client hands over as Buffers) as {"bytes": HEX}, NaN and infinities as the
 * strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers).
 */
function plain(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return { bytes: v.toString('hex') };
  if (v instanceof Set) return [...v].map(plain);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [mapKeyText(k), plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** JSON object keys are text: a number as its digits, bytes that are not UTF-8 as their hex. */
function mapKeyText(k: unknown): string {
  return Buffer.isBuffer(k) ? `0x${k.toString('hex')}` : String(k);
}

/** One value as compact JSON, integers exact. */
export function formatJson(v: Value | Record<string, Value> | unknown): string {
  return stringify(plain(v)) ?? 'null';
}

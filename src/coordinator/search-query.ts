// The status page's search box: a search typed as text, read into the client's predicate and
// planned by the client's planner (planSearch on the checks encodePredicate makes), so the page
// lights exactly the regions a client's search would contact. Pure.
//
//   QUERY := TERM (and TERM)*            (empty: every object)
//   TERM  := ATTR = VALUE | ATTR in [A, B] | ATTR in [A, B)
//
// A VALUE is JSON ("John", 42, ["a", "b"]); for a string attribute an unquoted word is the string
// itself. [A, B] takes A <= x <= B on an int64 attribute; [A, B) takes A <= x < B on any string,
// int64 or float attribute, as the client's ranges do.

import { encodePredicate, HyperClientError, Predicate } from '../client/client';
import type { Scalar, Value } from '../client/client';
import { SpaceLayout } from '../common/config';
import { AttrType, isScalar, typeName } from '../common/datatypes';
import { planSearch } from '../common/planner';
import { numberFromText, parseJsonArgument } from '../cli/json-values';

/** A query longer than this is refused (the search box is for people). */
export const QUERY_CHARS_MAX = 2000;

const INT64_MAX = (1n << 63n) - 1n;

/** A query the page shows back as it is: the message says what is wrong. */
export class QueryError extends Error {}

export interface QueryPlan {
  readonly space: string;
  /** The subspace the planner chose, and its attributes. */
  readonly subspace: number;
  readonly attributes: readonly string[];
  /** The ids of the regions a search contacts, in the subspace's order. */
  readonly regions: readonly number[];
  /** All the regions of the chosen subspace, and of the space. */
  readonly subspaceRegions: number;
  readonly spaceRegions: number;
}

/** Reads text from a position on, term by term. */
class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }

  /** Takes the pattern (anchored here) if it matches. */
  take(pattern: RegExp): string | undefined {
    this.skipSpace();
    const m = new RegExp(pattern.source, 'y' + pattern.flags.replace('y', ''));
    m.lastIndex = this.pos;
    const found = m.exec(this.text);
    if (!found) return undefined;
    this.pos = m.lastIndex;
    return found[0];
  }

  expect(pattern: RegExp, what: string): string {
    const t = this.take(pattern);
    if (t === undefined) throw new QueryError(`expected ${what} at ${this.where()}`);
    return t;
  }

  where(): string {
    const rest = this.text.slice(this.pos);
    return rest.length === 0 ? 'the end' : `'${rest.length > 20 ? rest.slice(0, 20) + '...' : rest}'`;
  }

  /** A JSON array or object from here: brackets counted, strings skipped. */
  bracketed(): string | undefined {
    this.skipSpace();
    const open = this.text[this.pos];
    if (open !== '[' && open !== '{') return undefined;
    let depth = 0;
    for (let i = this.pos; i < this.text.length; i++) {
      const ch = this.text[i];
      if (ch === '"') {
        const s = /"(?:[^"\\]|\\.)*"/y;
        s.lastIndex = i;
        if (!s.exec(this.text)) throw new QueryError(`unterminated string at ${this.where()}`);
        i = s.lastIndex - 1;
      } else if (ch === '[' || ch === '{') depth++;
      else if (ch === ']' || ch === '}') {
        if (--depth === 0) {
          const out = this.text.slice(this.pos, i + 1);
          this.pos = i + 1;
          return out;
        }
      }
    }
    throw new QueryError(`unbalanced ${open} at ${this.where()}`);
  }
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/;
const QUOTED = /"(?:[^"\\]|\\.)*"/;
/** An unquoted value: up to white space (in a range, up to the comma or closing bracket too). */
const WORD = /[^\s]+/;
const RANGE_WORD = /[^\s,\])]+/;

function typeOf(space: SpaceLayout, name: string): AttrType | undefined {
  if (name === space.spec.key.name) return space.spec.key.type;
  return space.spec.attributes.find((a) => a.name === name)?.type;
}

/**
 * A value's text as the attribute's type wants it. An unknown attribute keeps its text: the
 * client's encodePredicate says it is unknown (one place for that).
 */
function valueOf(type: AttrType | undefined, name: string, text: string, quoted: boolean): Value {
  if (type === undefined) return text;
  const fail = (why: string) => new QueryError(`"${name}" is ${typeName(type)}: ${why}`);
  if (type.kind === 'string') return quoted ? (JSON.parse(text) as string) : text;
  if (type.kind === 'int64' || type.kind === 'float') {
    const n = numberFromText(text);
    if (n === undefined) throw fail(`${text} is not a number`);
    return n;
  }
  try {
    return parseJsonArgument(text, 'the value') as Value;
  } catch (e) {
    throw fail((e as Error).message);
  }
}

function scanValue(s: Scanner, word: RegExp): { text: string; quoted: boolean } {
  const quoted = s.take(QUOTED);
  if (quoted !== undefined) return { text: quoted, quoted: true };
  const bracketed = s.bracketed();
  if (bracketed !== undefined) return { text: bracketed, quoted: false };
  return { text: s.expect(word, 'a value'), quoted: false };
}

function rangeOf(s: Scanner, space: SpaceLayout, name: string): readonly [Scalar, Scalar] {
  const type = typeOf(space, name);
  // The client takes a pair for a container attribute as a value to equal, not a range.
  if (type !== undefined && !isScalar(type)) throw new QueryError(`"${name}" is ${typeName(type)}: only strings and numbers have ranges`);
  s.expect(/\[/, `[ after "${name} in"`);
  const lo = scanValue(s, RANGE_WORD);
  s.expect(/,/, 'a comma between the bounds');
  const hi = scanValue(s, RANGE_WORD);
  const close = s.expect(/[\])]/, '] or ) after the upper bound');
  const lower = valueOf(type, name, lo.text, lo.quoted) as Scalar;
  const upper = valueOf(type, name, hi.text, hi.quoted) as Scalar;
  if (close === ')') return [lower, upper];
  // Inclusive: the client's ranges exclude their upper bound, so it moves up by one.
  if (type === undefined) return [lower, upper];
  if (type.kind !== 'int64') throw new QueryError(`"${name}" is ${typeName(type)}: [A, B] is for int64 attributes; write [A, B) for A <= ${name} < B`);
  if (typeof upper === 'number' && !Number.isInteger(upper)) throw new QueryError(`"${name}" is int64: ${hi.text} is not an integer`);
  const b = BigInt(upper as number | bigint);
  if (b >= INT64_MAX) throw new QueryError(`"${name}": the upper bound of [A, B] must be below ${INT64_MAX}`);
  return [lower, b + 1n];
}

/** The predicate a query says, not yet checked against the schema's types (encodePredicate does). */
export function parseQuery(space: SpaceLayout, text: string): Predicate {
  if (text.length > QUERY_CHARS_MAX) throw new QueryError(`the query has ${text.length} characters, over the limit of ${QUERY_CHARS_MAX}`);
  const s = new Scanner(text);
  const predicate: Record<string, Value | readonly [Scalar, Scalar]> = {};
  for (let first = true; !s.atEnd(); first = false) {
    if (!first) s.expect(/and\b/i, "'and' between terms");
    const name = s.expect(NAME, 'an attribute name');
    if (Object.hasOwn(predicate, name)) throw new QueryError(`"${name}" appears twice; one term per attribute`);
    if (s.take(/=/) !== undefined) {
      const v = scanValue(s, WORD);
      predicate[name] = valueOf(typeOf(space, name), name, v.text, v.quoted);
    } else if (s.take(/in\b/i) !== undefined) predicate[name] = rangeOf(s, space, name);
    else throw new QueryError(`expected = or in after "${name}" at ${s.where()}`);
  }
  return predicate;
}

/** The regions a search for the query contacts; QueryError or HyperClientError for bad input. */
export function planQuery(space: SpaceLayout, text: string): QueryPlan {
  const checks = encodePredicate(space.spec, parseQuery(space, text));
  const plan = planSearch(space, checks);
  const ss = space.subspaces[plan.subspace];
  return {
    space: space.spec.name,
    subspace: plan.subspace,
    attributes: ss.attributes,
    regions: plan.regions.map((r) => r.id),
    subspaceRegions: ss.regions.length,
    spaceRegions: space.subspaces.reduce((n, x) => n + x.regions.length, 0),
  };
}

/** Whether an error is the query's fault (a 400), not the server's. */
export function isBadQuery(e: unknown): e is Error {
  return e instanceof QueryError || e instanceof HyperClientError;
}

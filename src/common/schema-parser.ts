// Parser for space descriptions: the text given to `add-space` (0.4) and `add_space` (1.0).
//
// Two grammars are accepted; the word after `space NAME` chooses between them.
//
// 0.4 (manual sections 3.3 and 5.1):
//
//   space    NAME
//   dimensions DIM ( [','] DIM )*          DIM = NAME [ '(' TYPE ')' ]     (no type: string)
//   key      NAME auto P R                 NAME one of the dimensions
//   ( subspace NAME (',' NAME)* auto P R )*
//
//   Each `auto P R` asks for 2^P partitions of R replicas. The dimensions include the key, which is
//   taken out of them to become `SpaceSpec.key`. The comma between two dimensions may be left out
//   (the manual's socialnetwork example does so); a dimension without a comma before it cannot be
//   called `key` or `subspace`, since those words end the list.
//
// 1.0 (tutorial):
//
//   space NAME
//   key [SCALAR] NAME                                   (no type: string)
//   [ attributes ENTRY (',' ENTRY)* ]                   ENTRY = TYPE NAME | NAME   (bare NAME: string)
//   ( subspace NAME (',' NAME)* )*
//   [ create N partitions ] [ tolerate F failures ]     (either order, each at most once)
//
//   N partitions (default SCHEMA_DEFAULTS.partitions) and F + 1 replicas (default
//   SCHEMA_DEFAULTS.tolerate + 1) apply to the key subspace and to every secondary subspace.
//   `partition` and `failure` are accepted as well.
//
// TYPE (both grammars): string | int64 | int | float | list(S) | set(S) | map(S, S), S being one of
// the four scalar spellings; `int` means int64.
//
// Lexical rules: tokens are identifiers [A-Za-z_][A-Za-z0-9_]*, decimal numbers, '(', ')' and ','.
// Every kind of white space separates tokens, line breaks included, so a whole description may be
// written on one line. Keywords are case-sensitive (lower case).
//
// Keywords are mostly not reserved: wherever a name is required any identifier is taken, so an
// attribute may be called `key`, `map` or `string`. The exceptions are the places where a name is
// optional and a keyword could instead start the next part of the description:
//   - 0.4: a dimension written without a comma before it cannot be called `key` or `subspace`;
//   - 1.0: the section words `attributes`, `subspace`, `create` and `tolerate` can never be declared
//     as the key or as an attribute, because they end the key and attribute declarations.
// A scalar type word followed by a name is a typed declaration (`int count`); a lone type word
// followed by ',' or the end of the list is a bare string attribute of that name (`attributes int`
// declares an attribute called `int`). `key WORD NAME` with WORD no type is reported as a bad key
// type when the declaration ends after NAME (`key bytes k`); otherwise WORD is taken as the key's
// name and the stray NAME is reported where it stands.
//
// Limits: names (space, attributes) are at most SCHEMA_LIMITS.nameBytesMax bytes; a space has at
// most SCHEMA_LIMITS.attributesMax attributes counting the key, and at most
// SCHEMA_LIMITS.subspacesMax secondary subspaces (the key subspace is not counted).
//
// Every problem is reported as a SchemaParseError that points at the offending token.

import { AttrType, ScalarType, typeName } from './datatypes';
import { AttributeSpec, SCHEMA_DEFAULTS, SCHEMA_LIMITS, SpaceSpec, SubspaceSpec } from './schema';

const END_OF_INPUT = 'end of input';

/**
 * A description that does not parse or asks for something invalid.
 *
 * `line` and `column` are 1-based and locate the start of the offending token (columns count
 * Unicode code points). `expected` says what would have been acceptable there and `found` is the
 * text of the offending token, or `end of input`. `detail`, when present, explains further.
 */
export class SchemaParseError extends Error {
  readonly line: number;
  readonly column: number;
  readonly expected: string;
  readonly found: string;
  readonly detail: string | undefined;

  constructor(line: number, column: number, expected: string, found: string, detail?: string) {
    const shown = found === END_OF_INPUT ? found : `'${found}'`;
    super(
      `line ${line}, column ${column}: expected ${expected} but found ${shown}` +
        (detail === undefined ? '' : ` (${detail})`),
    );
    this.name = 'SchemaParseError';
    this.line = line;
    this.column = column;
    this.expected = expected;
    this.found = found;
    this.detail = detail;
  }
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

type TokenKind = 'ident' | 'number' | '(' | ')' | ',' | 'bad' | 'eof';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NUMBER = /^[0-9]+$/;
const SPACE = /^\s$/u;

function tokenize(text: string): Token[] {
  const chars = Array.from(text); // code points, so that columns count characters
  const tokens: Token[] = [];
  let line = 1;
  let column = 1;
  let i = 0;
  while (i < chars.length) {
    const ch = chars[i]!;
    if (ch === '\r' || ch === '\n') {
      i += ch === '\r' && chars[i + 1] === '\n' ? 2 : 1;
      line += 1;
      column = 1;
      continue;
    }
    if (SPACE.test(ch)) {
      i += 1;
      column += 1;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: ch, text: ch, line, column });
      i += 1;
      column += 1;
      continue;
    }
    // A word: everything up to the next white space or punctuation. Words that are neither
    // identifiers nor numbers become `bad` tokens, which no rule accepts, so that the error shows
    // the whole word (`first-name`, `-1`, `1.5`).
    const start = i;
    while (i < chars.length) {
      const c = chars[i]!;
      if (c === '(' || c === ')' || c === ',' || SPACE.test(c)) break;
      i += 1;
    }
    const word = chars.slice(start, i).join('');
    const kind: TokenKind = IDENT.test(word) ? 'ident' : NUMBER.test(word) ? 'number' : 'bad';
    tokens.push({ kind, text: word, line, column });
    column += i - start;
  }
  tokens.push({ kind: 'eof', text: END_OF_INPUT, line, column });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Parser

const SCALAR_WORDS: Readonly<Record<string, ScalarType>> = {
  string: 'string',
  int64: 'int64',
  int: 'int64',
  float: 'float',
};
const CONTAINER_WORDS = new Set(['list', 'set', 'map']);
/** 0.4 words that end the dimension list when they follow a dimension without a comma. */
const LIST_ENDERS_0_4 = new Set(['key', 'subspace']);
/** 1.0 words that end the key and attribute declarations; never declarable as names there. */
const SECTION_WORDS_1_0 = new Set(['attributes', 'subspace', 'create', 'tolerate']);

function isScalarWord(t: Token): boolean {
  return t.kind === 'ident' && Object.prototype.hasOwnProperty.call(SCALAR_WORDS, t.text);
}

function isScalarType(t: AttrType): boolean {
  return t.kind === 'string' || t.kind === 'int64' || t.kind === 'float';
}

function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** A declared attribute and the token that named it. */
interface Declared {
  readonly spec: AttributeSpec;
  readonly token: Token;
}

class Parser {
  private readonly tokens: Token[];
  private pos = 0;

  constructor(text: string) {
    this.tokens = tokenize(text);
  }

  // -- token access ---------------------------------------------------------------------------

  private peek(ahead = 0): Token {
    const i = Math.min(this.pos + ahead, this.tokens.length - 1);
    return this.tokens[i]!;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos += 1;
    return t;
  }

  private isWord(t: Token, ...words: string[]): boolean {
    return t.kind === 'ident' && words.includes(t.text);
  }

  private fail(t: Token, expected: string, detail?: string, found?: string): never {
    throw new SchemaParseError(t.line, t.column, expected, found ?? t.text, detail);
  }

  private expectWord(...words: string[]): Token {
    const t = this.peek();
    if (!this.isWord(t, ...words)) this.fail(t, `'${words[0]}'`);
    return this.next();
  }

  private expectPunct(kind: '(' | ')' | ','): Token {
    const t = this.peek();
    if (t.kind !== kind) this.fail(t, `'${kind}'`);
    return this.next();
  }

  /** An identifier used as a name; checks the length limit. */
  private expectName(what: string): Token {
    const t = this.peek();
    if (t.kind !== 'ident') this.fail(t, what);
    // Identifiers are ASCII, so their length in characters is their length in bytes.
    if (t.text.length > SCHEMA_LIMITS.nameBytesMax) {
      this.fail(
        t,
        `a name of at most ${SCHEMA_LIMITS.nameBytesMax} bytes`,
        `this name is ${t.text.length} bytes long`,
      );
    }
    return this.next();
  }

  /** A decimal number between min and max inclusive. */
  private expectNumber(what: string, min: number, max: number, detail?: (n: number) => string | undefined): number {
    const t = this.peek();
    const expected = `${what} between ${min} and ${max}`;
    if (t.kind !== 'number') this.fail(t, expected);
    const n = Number(t.text);
    if (n < min || n > max) this.fail(t, expected, detail?.(n));
    this.next();
    return n;
  }

  // -- types ----------------------------------------------------------------------------------

  private parseScalar(): ScalarType {
    const t = this.peek();
    if (!isScalarWord(t)) this.fail(t, 'a scalar type (string, int64, int or float)');
    this.next();
    return SCALAR_WORDS[t.text]!;
  }

  private parseType(): AttrType {
    const t = this.peek();
    if (isScalarWord(t)) {
      this.next();
      return { kind: SCALAR_WORDS[t.text]! };
    }
    if (t.kind !== 'ident' || !CONTAINER_WORDS.has(t.text)) this.fail(t, 'an attribute type');
    this.next();
    this.expectPunct('(');
    let type: AttrType;
    if (t.text === 'map') {
      const key = this.parseScalar();
      this.expectPunct(',');
      const value = this.parseScalar();
      type = { kind: 'map', key, value };
    } else {
      type = { kind: t.text as 'list' | 'set', elem: this.parseScalar() };
    }
    this.expectPunct(')');
    return type;
  }

  // -- shared pieces --------------------------------------------------------------------------

  private declare(declared: Map<string, Declared>, name: Token, type: AttrType): void {
    const prior = declared.get(name.text);
    if (prior !== undefined) {
      this.fail(
        name,
        'a new attribute name',
        `'${name.text}' is already declared at line ${prior.token.line}, column ${prior.token.column}`,
      );
    }
    if (declared.size >= SCHEMA_LIMITS.attributesMax) {
      this.fail(
        name,
        'no more attributes',
        `a space has at most ${SCHEMA_LIMITS.attributesMax} attributes, the key included`,
      );
    }
    declared.set(name.text, { spec: { name: name.text, type }, token: name });
  }

  /** `subspace` already consumed: NAME (',' NAME)*, checked against the declared attributes. */
  private parseSubspaceNames(declared: Map<string, Declared>, keyName: string, noun: string): string[] {
    const names: string[] = [];
    for (;;) {
      const t = this.expectName(`the name of ${noun}`);
      if (t.text === keyName) {
        this.fail(t, `a non-key ${noun}`, 'the key has a subspace of its own and may not appear in another');
      }
      if (!declared.has(t.text)) this.fail(t, `the name of a declared ${noun}`, `'${t.text}' is not declared`);
      if (names.includes(t.text)) this.fail(t, `${noun} not already in this subspace`, `'${t.text}' is listed twice`);
      names.push(t.text);
      if (this.peek().kind !== ',') return names;
      this.next();
    }
  }

  private checkSubspaceCount(count: number, at: Token): void {
    if (count >= SCHEMA_LIMITS.subspacesMax) {
      this.fail(
        at,
        'no more subspaces',
        `a space has at most ${SCHEMA_LIMITS.subspacesMax} subspaces besides the key subspace`,
      );
    }
  }

  private checkKeyType(at: Token, type: AttrType, expected: string): void {
    if (!isScalarType(type)) {
      this.fail(at, expected, 'a key must be a string, int64 or float', typeName(type));
    }
  }

  private finish(
    name: string,
    declared: Map<string, Declared>,
    keyName: string,
    keySubspace: { partitions: number; replicas: number },
    subspaces: SubspaceSpec[],
  ): SpaceSpec {
    const key = declared.get(keyName)!.spec;
    const attributes = [...declared.values()].map((d) => d.spec).filter((a) => a.name !== keyName);
    return { name, key, attributes, keySubspace, subspaces };
  }

  // -- grammar --------------------------------------------------------------------------------

  parse(): SpaceSpec {
    this.expectWord('space');
    const name = this.expectName('a space name').text;
    const t = this.peek();
    if (this.isWord(t, 'dimensions')) return this.parse04(name);
    if (this.isWord(t, 'key')) return this.parse10(name);
    return this.fail(t, "'dimensions' or 'key'");
  }

  // 0.4 ------------------------------------------------------------------------------------------

  private parseAuto(): { partitions: number; replicas: number } {
    this.expectWord('auto');
    const bits = this.expectNumber('a partition exponent', 0, SCHEMA_LIMITS.partitionBitsMax);
    const replicas = this.expectNumber('a replication factor', 1, SCHEMA_LIMITS.replicasMax, (n) =>
      n === 0 ? 'a replication value of 0 does not make sense' : undefined,
    );
    return { partitions: 2 ** bits, replicas };
  }

  private parseDimension(declared: Map<string, Declared>): void {
    const name = this.expectName('a dimension name');
    let type: AttrType = { kind: 'string' };
    if (this.peek().kind === '(') {
      this.next();
      type = this.parseType();
      this.expectPunct(')');
    }
    this.declare(declared, name, type);
  }

  private parse04(name: string): SpaceSpec {
    this.expectWord('dimensions');
    const declared = new Map<string, Declared>();
    this.parseDimension(declared);
    for (;;) {
      const t = this.peek();
      if (t.kind === ',') {
        this.next();
        this.parseDimension(declared);
      } else if (t.kind === 'ident' && !LIST_ENDERS_0_4.has(t.text)) {
        this.parseDimension(declared); // missing comma, as in the manual's section 5.1
      } else {
        break;
      }
    }

    if (!this.isWord(this.peek(), 'key')) this.fail(this.peek(), "',', another dimension or 'key'");
    this.next();
    const keyTok = this.expectName('the name of the key dimension');
    const keyDecl = declared.get(keyTok.text);
    if (keyDecl === undefined) {
      this.fail(keyTok, 'one of the dimensions', `'${keyTok.text}' is not a dimension`);
    }
    if (!isScalarType(keyDecl.spec.type)) {
      this.fail(
        keyTok,
        'the name of a string, int64 or float dimension',
        `'${keyTok.text}' is a ${typeName(keyDecl.spec.type)}; a key must be a string, int64 or float`,
      );
    }
    const keySubspace = this.parseAuto();

    const subspaces: SubspaceSpec[] = [];
    while (this.isWord(this.peek(), 'subspace')) {
      this.checkSubspaceCount(subspaces.length, this.peek());
      this.next();
      const attributes = this.parseSubspaceNames(declared, keyTok.text, 'dimension');
      const { partitions, replicas } = this.parseAuto();
      subspaces.push({ attributes, partitions, replicas });
    }

    const end = this.peek();
    if (end.kind !== 'eof') this.fail(end, "'subspace' or end of input");
    return this.finish(name, declared, keyTok.text, keySubspace, subspaces);
  }

  // 1.0 ------------------------------------------------------------------------------------------

  /** May `t` be declared as a 1.0 key or attribute name? */
  private declarable10(t: Token): boolean {
    return t.kind === 'ident' && !SECTION_WORDS_1_0.has(t.text);
  }

  /** A 1.0 declaration, `[TYPE] NAME`, of the key or of an attribute. */
  private parseDeclaration10(what: 'key' | 'attribute'): { name: Token; type: AttrType } {
    const t0 = this.peek();
    const t1 = this.peek(1);
    // What may follow a bare NAME: the next entry, the end, or the next section.
    const endsBareName =
      t1.kind === ',' || t1.kind === 'eof' || (t1.kind === 'ident' && SECTION_WORDS_1_0.has(t1.text));
    const typed =
      (t0.kind === 'ident' && CONTAINER_WORDS.has(t0.text) && t1.kind === '(') ||
      (isScalarWord(t0) && !endsBareName);
    if (typed) {
      const type = this.parseType();
      if (what === 'key') this.checkKeyType(t0, type, 'a key type (string, int64, int or float)');
      return { name: this.expectDeclName(what), type };
    }
    if (this.declarable10(t0) && endsBareName) {
      return { name: this.expectDeclName(what), type: { kind: 'string' } };
    }
    if (what === 'key') {
      if (!this.declarable10(t0)) this.fail(t0, 'a key name');
      // `key NAME` followed by punctuation or a number: the name stands, the rest is reported later.
      if (!this.declarable10(t1)) return { name: this.expectDeclName(what), type: { kind: 'string' } };
      // `key WORD NAME` where WORD is no scalar type: a bad key type if the declaration ends there,
      // otherwise WORD is the key's name and what follows it is reported later.
      const t2 = this.peek(2);
      if (t2.kind === 'eof' || (t2.kind === 'ident' && SECTION_WORDS_1_0.has(t2.text))) {
        this.fail(t0, 'a key type (string, int64, int or float)');
      }
      return { name: this.expectDeclName(what), type: { kind: 'string' } };
    }
    if (t0.kind === 'ident' && SECTION_WORDS_1_0.has(t0.text)) this.fail(t0, 'an attribute type or name');
    // Neither a typed nor a bare declaration: parseType reports what is wrong with the type.
    this.parseType();
    throw new Error('schema-parser: unreachable');
  }

  private expectDeclName(what: 'key' | 'attribute'): Token {
    const t = this.peek();
    if (t.kind === 'ident' && SECTION_WORDS_1_0.has(t.text)) {
      this.fail(t, `${what === 'key' ? 'a key' : 'an attribute'} name`, `'${t.text}' is a reserved word`);
    }
    return this.expectName(`${what === 'key' ? 'a key' : 'an attribute'} name`);
  }

  private parse10(name: string): SpaceSpec {
    this.expectWord('key');
    const declared = new Map<string, Declared>();
    const key = this.parseDeclaration10('key');
    this.declare(declared, key.name, key.type);

    let sawAttributes = false;
    if (this.isWord(this.peek(), 'attributes')) {
      sawAttributes = true;
      this.next();
      for (;;) {
        const a = this.parseDeclaration10('attribute');
        this.declare(declared, a.name, a.type);
        if (this.peek().kind !== ',') break;
        this.next();
      }
    }

    const subspaces: SubspaceSpec[] = [];
    const subspaceNames: string[][] = [];
    while (this.isWord(this.peek(), 'subspace')) {
      this.checkSubspaceCount(subspaceNames.length, this.peek());
      this.next();
      subspaceNames.push(this.parseSubspaceNames(declared, key.name.text, 'attribute'));
    }

    let partitions: number = SCHEMA_DEFAULTS.partitions;
    let tolerate: number = SCHEMA_DEFAULTS.tolerate;
    let sawCreate = false;
    let sawTolerate = false;
    for (;;) {
      const t = this.peek();
      if (!sawCreate && this.isWord(t, 'create')) {
        sawCreate = true;
        this.next();
        partitions = this.expectNumber('a number of partitions', 1, SCHEMA_LIMITS.partitionsMax);
        this.expectWord('partitions', 'partition');
      } else if (!sawTolerate && this.isWord(t, 'tolerate')) {
        sawTolerate = true;
        this.next();
        const maxFailures = SCHEMA_LIMITS.replicasMax - 1;
        tolerate = this.expectNumber('a number of failures', 0, maxFailures, (n) =>
          n > maxFailures
            ? `tolerating ${n} failures needs ${n + 1} replicas; at most ${SCHEMA_LIMITS.replicasMax} are allowed`
            : undefined,
        );
        this.expectWord('failures', 'failure');
      } else {
        break;
      }
    }

    const end = this.peek();
    if (end.kind !== 'eof') {
      const options: string[] = [];
      const tidy = !sawCreate && !sawTolerate;
      if (tidy && !sawAttributes && subspaceNames.length === 0) options.push("'attributes'");
      if (tidy) options.push("'subspace'");
      if (!sawCreate) options.push("'create'");
      if (!sawTolerate) options.push("'tolerate'");
      options.push('end of input');
      const again =
        (sawCreate && this.isWord(end, 'create')) || (sawTolerate && this.isWord(end, 'tolerate'))
          ? `'${end.text}' may be given only once`
          : undefined;
      this.fail(end, orList(options), again);
    }

    const replicas = tolerate + 1;
    for (const attributes of subspaceNames) subspaces.push({ attributes, partitions, replicas });
    return this.finish(name, declared, key.name.text, { partitions, replicas }, subspaces);
  }
}

/**
 * Parse a space description in either the 0.4 (`dimensions ... key K auto P R`) or the 1.0
 * (`key K attributes ...`) grammar. Throws SchemaParseError on any error.
 */
export function parseSpaceDescription(text: string): SpaceSpec {
  return new Parser(text).parse();
}

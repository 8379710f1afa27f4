// The interactive shell's lines, without I/O: splitting a line into words as a POSIX shell quotes
// them, and what Tab completes. (The word splitting is ours: shell-quote, the library for shell
// command lines, also expands $VARS, turns * into globs and ; | > into operators, and accepts an
// unclosed quote silently; this shell wants none of that, only quoting.)

import { UsageError } from './args';
import { ATOMIC_OPERATION_NAMES, commandSpecs, DataCommand, findDataCommand } from './data-commands';

interface Scan {
  /** The words, the last one possibly unfinished (see `ended`). */
  readonly words: string[];
  /** The quote left open at the end of the line, if any. */
  readonly openQuote: "'" | '"' | undefined;
  /** Whether the line ends between words (after an unquoted blank, or empty). */
  readonly ended: boolean;
}

/**
 * Splits a line into words: blanks separate words; '...' keeps everything literally; "..." keeps
 * everything but \" and \\ (a backslash before anything else stays); outside quotes a backslash
 * keeps the next character.
 */
function scan(line: string): Scan {
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) word += line[++i];
      else word += c;
    } else if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return { words, openQuote: quote, ended: word === undefined };
}

/** The words of a line; an unclosed quote is an error, so that a half-typed JSON is not run. */
export function tokenize(line: string): string[] {
  const { words, openQuote } = scan(line);
  if (openQuote) throw new UsageError(`unclosed ${openQuote === "'" ? 'single' : 'double'} quote`);
  return words;
}

/** Commands of the shell that are not data commands. */
export const SHELL_BUILTINS = ['help', 'list-spaces', 'exit', 'quit'] as const;

/** What completion may offer, looked up when Tab is pressed. */
export interface CompletionSource {
  readonly commands: readonly string[];
  spaces(): Promise<readonly string[]>;
  /** The space's attribute names, the key first; empty when there is no such space. */
  attributes(space: string): Promise<readonly string[]>;
}

/** Characters that end the word being completed inside a JSON argument, e.g. '{"fi. */
const JSON_DELIMITERS = /[^\s'"{}[\],:]*$/;

function matching(candidates: readonly string[], fragment: string): string[] {
  return candidates.filter((c) => c.startsWith(fragment));
}

/** The option words of a data command, for a word that starts with -. */
function optionNames(cmd: DataCommand): string[] {
  return commandSpecs(cmd, false).map((s) => `--${s.long}`);
}

/**
 * readline's completion: the candidates for the end of `line`, and the fragment of the line they
 * replace. Words are counted as the shell splits them (a quoted JSON with blanks is one word);
 * words that are options (-...) do not count as arguments.
 */
export async function complete(line: string, source: CompletionSource): Promise<[string[], string]> {
  const { words: all, ended } = scan(line);
  const current = ended ? undefined : all[all.length - 1];
  const words = (ended ? all : all.slice(0, -1)).filter((w) => !w.startsWith('-'));
  const word = /\S*$/.exec(line)![0];
  if (words.length === 0) return [matching(source.commands, word), word];
  if (words[0] === 'help') return [words.length === 1 ? matching(source.commands, word) : [], word];
  const cmd = findDataCommand(words[0]);
  if (!cmd) return [[], word];
  if (current?.startsWith('-')) return [matching(optionNames(cmd), word), word];
  const param = cmd.params[words.length - 1]?.replace(/[[\]]/g, '');
  if (param === undefined || param === 'KEY') return [[], word];
  if (param === 'SPACE') return [matching(await source.spaces(), word), word];
  if (param === 'OPERATION') return [matching(ATOMIC_OPERATION_NAMES, word), word];
  const fragment = JSON_DELIMITERS.exec(line)![0];
  return [matching(await source.attributes(words[1]), fragment), fragment];
}

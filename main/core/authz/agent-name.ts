import type { ErrorCode } from '../error-codes.js';
import { LatchkeyError } from '../errors.js';

/**
 * Agent names are what a person reads on the approval screen to decide whom to trust, so
 * a name must not be able to pass for another: no invisible or direction-changing
 * characters, and no name that looks like one already taken.
 */

/** 1–64 characters, no leading or trailing white space. */
const SHAPE = /^\S(?:.{0,62}\S)?$/su;
/**
 * Control (Cc), format (Cf: zero-width and bidi controls such as U+200B, U+202E), private
 * use (Co), unassigned (Cn) code points and line/paragraph separators: none of them shows
 * as what it is.
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u;
const COMBINING_MARK = /\p{M}/gu;

/**
 * Latin look-alikes from Cyrillic and Greek (and a few Latin/digit ones), after the
 * Unicode confusables data (UTS #39). A compact table rather than the full data: no small,
 * maintained npm package ships it, and we add no dependency for this; these are the
 * letters an impersonating name would use, NFKC already folds the compatibility forms
 * (fullwidth, mathematical, ligatures).
 */
const CONFUSABLES: Readonly<Record<string, string>> = {
  // Cyrillic
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  һ: 'h',
  і: 'i',
  ї: 'i',
  ј: 'j',
  к: 'k',
  ӏ: 'l',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  ѕ: 's',
  у: 'y',
  х: 'x',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  ь: 'b',
  ɡ: 'g',
  А: 'A',
  В: 'B',
  Е: 'E',
  К: 'K',
  М: 'M',
  Н: 'H',
  О: 'O',
  Р: 'P',
  С: 'C',
  Т: 'T',
  Х: 'X',
  У: 'Y',
  Ѕ: 'S',
  І: 'l',
  Ј: 'J',
  Ԛ: 'Q',
  Ԝ: 'W',
  Ӏ: 'l',
  // Greek
  α: 'a',
  β: 'b',
  γ: 'y',
  ε: 'e',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ω: 'w',
  Α: 'A',
  Β: 'B',
  Ε: 'E',
  Ζ: 'Z',
  Η: 'H',
  Ι: 'l',
  Κ: 'K',
  Μ: 'M',
  Ν: 'N',
  Ο: 'O',
  Ρ: 'P',
  Τ: 'T',
  Υ: 'Y',
  Χ: 'X',
  // Latin and digits
  ı: 'i',
  ɑ: 'a',
  ɩ: 'i',
  I: 'l',
  '1': 'l',
  '|': 'l',
  '0': 'o',
};

const fold = (text: string): string => Array.from(text, (char) => CONFUSABLES[char] ?? char).join('');

/** Why `name` cannot be an agent's name, or undefined when it can. */
export function agentNameProblem(name: string): string | undefined {
  if (!SHAPE.test(name)) return 'An agent name is 1–64 characters, without leading or trailing spaces';
  if (HIDDEN.test(name))
    return 'An agent name cannot contain control, format (zero-width, bidirectional) or unassigned characters';
  return undefined;
}

/**
 * What a name looks like: NFKC, look-alikes folded to Latin (before and after lower-casing,
 * so that capitals fold too), accents dropped, white space runs made one space. Two names
 * with the same skeleton can pass for each other.
 */
export function nameSkeleton(name: string): string {
  const folded = fold(fold(name.normalize('NFKC')).toLowerCase());
  return folded.normalize('NFD').replace(COMBINING_MARK, '').replace(/\s+/gu, ' ');
}

/** The first of `taken` that `name` could pass for, if any. */
export function lookAlikeOf(name: string, taken: Iterable<string>): string | undefined {
  const skeleton = nameSkeleton(name);
  for (const other of taken) if (nameSkeleton(other) === skeleton) return other;
  return undefined;
}

/** `name` when it is a valid agent name; 400 `code` (invalid_name by default) saying what is wrong otherwise. */
export function checkAgentName(name: string, code: ErrorCode = 'invalid_name'): string {
  const problem = agentNameProblem(name);
  if (problem) throw new LatchkeyError(code, problem, 400);
  return name;
}

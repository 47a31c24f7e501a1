import type { EndpointRule } from '../catalog/types.js';

const VERBS: Readonly<Record<string, string>> = {
  GET: 'read',
  HEAD: 'read',
  POST: 'create',
  PUT: 'replace',
  PATCH: 'update',
  DELETE: 'delete',
};
const MAX_SUMMARY = 200;

/**
 * A call in one line for the person deciding it, read off the rule it matched: the
 * method's verb, the rule's last literal segment (what is acted on), the values the
 * wildcards after it took (which one) and before it (where): POST /repos/person/repo/issues,
 * under a rule with two wildcards before `issues`, is "create issues in person/repo"; DELETE
 * of one comment there is "delete comments 42 in person/repo". Every value comes from the
 * agent, so it is decoded for reading, stripped of control characters and cut short.
 */
export function summarizeCall(method: string, path: string, rule: Pick<EndpointRule, 'path'> | undefined): string {
  const verb = VERBS[method.toUpperCase()] ?? method.toUpperCase();
  const segments = split(path);
  const pattern = rule ? split(rule.path) : [];
  const items: { literal: boolean; text: string }[] = [];
  let at = 0;
  pattern.forEach((segment, index) => {
    if (segment === '**') {
      const count = Math.max(0, segments.length - at - (pattern.length - index - 1));
      const taken = segments.slice(at, at + count);
      at += count;
      if (taken.length > 0) items.push({ literal: false, text: taken.join('/') });
    } else {
      items.push({ literal: segment !== '*', text: segment === '*' ? (segments[at] ?? '') : segment });
      at += 1;
    }
  });
  const noun = items.map((item) => item.literal).lastIndexOf(true);
  if (!rule || noun < 0) return clean(`${verb} ${path}`);
  const values = (from: number, to: number) =>
    items
      .slice(from, to)
      .filter((item) => !item.literal)
      .map((item) => readable(item.text));
  const which = values(noun + 1, items.length);
  const where = values(0, noun);
  return clean(
    `${verb} ${items[noun]!.text}${which.length > 0 ? ` ${which.join('/')}` : ''}${where.length > 0 ? ` in ${where.join('/')}` : ''}`,
  );
}

const split = (path: string): string[] => path.split('/').filter((segment) => segment !== '');

function readable(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // not valid percent-encoding: shown as sent
  }
}

function clean(text: string): string {
  const printable = text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '?');
  return printable.length > MAX_SUMMARY ? `${printable.slice(0, MAX_SUMMARY - 1)}…` : printable;
}

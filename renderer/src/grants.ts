import type { Grant } from './api';

/** What one connection is granted in a picker: nothing, everything it holds (`*`), or some of its scopes. */
export type GrantChoice = { mode: 'none' } | { mode: 'all' } | { mode: 'some'; scopes: string[] };

/** Picker state: a choice per connection name; a missing connection is `none`. */
export type GrantChoices = Readonly<Record<string, GrantChoice>>;

export const ALL_SCOPES = '*';

export function choicesFromGrants(grants: readonly Grant[]): GrantChoices {
  const choices: Record<string, GrantChoice> = {};
  for (const { connection, scopes } of grants) {
    choices[connection] = scopes.includes(ALL_SCOPES) ? { mode: 'all' } : { mode: 'some', scopes: [...scopes] };
  }
  return choices;
}

/** The grants a picker stands for. */
export function grantsFromChoices(choices: GrantChoices): Grant[] {
  return Object.entries(choices).flatMap(([connection, choice]): Grant[] =>
    choice.mode === 'none' ? [] : [{ connection, scopes: choice.mode === 'all' ? [ALL_SCOPES] : choice.scopes }],
  );
}

/** Connections set to "some scopes" with none ticked: such a picker cannot be submitted. */
export function incompleteConnections(choices: GrantChoices): string[] {
  return Object.entries(choices).flatMap(([connection, c]) => (c.mode === 'some' && c.scopes.length === 0 ? [connection] : []));
}

/** `connection:scope` strings, as OAuth `scope` values spell grants. */
export function scopeStrings(grants: readonly Grant[]): string[] {
  return grants.flatMap((g) => g.scopes.map((s) => `${g.connection}:${s}`));
}

import type { Grant } from './api';

/**
 * What one connection is granted in a picker: nothing, everything it holds (`*`), or some of
 * its scopes; `ask` names the scopes under which each call waits for the person's say.
 */
export type GrantChoice =
  | { mode: 'none' }
  | { mode: 'all'; ask?: string[] }
  | { mode: 'some'; scopes: string[]; ask?: string[] };

/** Picker state: a choice per connection name; a missing connection is `none`. */
export type GrantChoices = Readonly<Record<string, GrantChoice>>;

export const ALL_SCOPES = '*';

export function choicesFromGrants(grants: readonly Grant[]): GrantChoices {
  const choices: Record<string, GrantChoice> = {};
  for (const { connection, scopes, ask } of grants) {
    const asked = ask && ask.length > 0 ? { ask: [...ask] } : {};
    choices[connection] = scopes.includes(ALL_SCOPES)
      ? { mode: 'all', ...asked }
      : { mode: 'some', scopes: [...scopes], ...asked };
  }
  return choices;
}

/** The grants a picker stands for; an ask scope no longer granted is left out. */
export function grantsFromChoices(choices: GrantChoices): Grant[] {
  return Object.entries(choices).flatMap(([connection, choice]): Grant[] => {
    if (choice.mode === 'none') return [];
    const ask =
      choice.mode === 'some' ? (choice.ask ?? []).filter((s) => choice.scopes.includes(s)) : (choice.ask ?? []);
    return [
      { connection, scopes: choice.mode === 'all' ? [ALL_SCOPES] : choice.scopes, ...(ask.length > 0 ? { ask } : {}) },
    ];
  });
}

/** Connections set to "some scopes" with none ticked: such a picker cannot be submitted. */
export function incompleteConnections(choices: GrantChoices): string[] {
  return Object.entries(choices).flatMap(([connection, c]) =>
    c.mode === 'some' && c.scopes.length === 0 ? [connection] : [],
  );
}

/** `connection:scope` strings, as OAuth `scope` values spell grants. */
export function scopeStrings(grants: readonly Grant[]): string[] {
  return grants.flatMap((g) => g.scopes.map((s) => `${g.connection}:${s}`));
}

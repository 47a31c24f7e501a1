/** What `latchkey exec` hands its command: the broker, a token of the agent, the agent's connections. */
export interface IssuedEnvironment {
  url: string;
  token: string;
  connections: {
    name: string;
    base_url: string;
    base_url_env?: string | undefined;
    bases?: Record<string, { base_url: string }> | undefined;
  }[];
}

/**
 * The command's environment: the parent's without any `LATCHKEY_*` variable, then what exec
 * issues. Every variable Latchkey reads a secret from is a `LATCHKEY_*` one
 * (LATCHKEY_ADMIN_TOKEN opens the admin API, LATCHKEY_PASSPHRASE decrypts secrets.enc to
 * every provider key), so none reaches the agent unless exec set it itself, like
 * `aws-vault exec` clearing the AWS_* credentials it did not issue. The match ignores case
 * because Windows environment names do.
 */
export function childEnvironment(parent: NodeJS.ProcessEnv, issued: IssuedEnvironment): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(parent).filter(([name]) => !/^LATCHKEY_/i.test(name)),
  );
  env.LATCHKEY_URL = issued.url;
  env.LATCHKEY_TOKEN = issued.token;
  const sdkVariables = new Set<string>();
  for (const connection of issued.connections) {
    env[connectionVariable(connection.name)] = connection.base_url;
    // The SDK variable points at the first connection of its provider; name the others explicitly.
    if (connection.base_url_env && !sdkVariables.has(connection.base_url_env)) {
      sdkVariables.add(connection.base_url_env);
      env[connection.base_url_env] = connection.base_url;
    }
  }
  // Each other base of a multi-host API: LATCHKEY_GOOGLE_SHEETS_URL for base "sheets" of
  // "google". A connection named "google-sheets" has that name too, and keeps it.
  const taken = new Set(issued.connections.map((connection) => connectionVariable(connection.name)));
  for (const connection of issued.connections) {
    for (const [base, { base_url }] of Object.entries(connection.bases ?? {})) {
      const name = connectionVariable(`${connection.name}_${base}`);
      if (base !== 'default' && !taken.has(name)) env[name] = base_url;
    }
  }
  return env;
}

function connectionVariable(name: string): string {
  return `LATCHKEY_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`;
}

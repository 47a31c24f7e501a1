import * as oauth from 'oauth4webapi';
import type { OAuthProvider } from '../oauth/provider-client.js';
import type { ConnectionRecord } from '../store/connections.js';
import type { ConnectDeps } from './connect-deps.js';
import { failFlow, finishFlow } from './save-connection.js';

export interface BrowserStart {
  kind: 'browser';
  flow_id: string;
  authorize_url: string;
  redirect_uri: string;
  expires_at: number;
}

/** Starts an authorization-code flow: the person opens `authorize_url`, the provider sends the browser back to /oauth/callback. */
export async function startBrowserConnect(
  deps: ConnectDeps,
  provider: OAuthProvider,
  name: string,
  scopes: string[],
  variables: Record<string, string>,
): Promise<BrowserStart> {
  const client = await deps.apps.clientFor(provider.id, 'oauth', variables);
  const redirectUri = deps.apps.redirectUri(provider) as string;
  const verifier = provider.auth.pkce ? oauth.generateRandomCodeVerifier() : undefined;
  const flow = deps.flows.createBrowser({
    provider: provider.id,
    name,
    scopes,
    variables,
    code_verifier: verifier,
    redirect_uri: redirectUri,
  });
  const authorizeUrl = client.authorizationUrl({
    redirectUri,
    state: flow.state,
    scopes,
    ...(verifier ? { codeChallenge: await oauth.calculatePKCECodeChallenge(verifier) } : {}),
  });
  return {
    kind: 'browser',
    flow_id: flow.id,
    authorize_url: authorizeUrl,
    redirect_uri: redirectUri,
    expires_at: flow.expires_at,
  };
}

/** The browser came back to /oauth/callback: the code is exchanged and the connection saved, or the flow fails. */
export async function completeBrowserConnect(deps: ConnectDeps, params: URLSearchParams): Promise<ConnectionRecord> {
  const flow = deps.flows.claimByState(params.get('state'));
  try {
    const client = await deps.apps.clientFor(flow.provider, 'oauth', flow.variables ?? {});
    const tokens = await client.exchangeCode(params, {
      state: flow.state,
      redirectUri: flow.redirect_uri,
      codeVerifier: flow.code_verifier,
    });
    return await finishFlow(deps, flow, client, 'oauth', tokens);
  } catch (error) {
    throw failFlow(deps, flow, error);
  }
}

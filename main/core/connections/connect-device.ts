import type { OAuthProvider } from '../oauth/provider-client.js';
import type { ConnectDeps } from './connect-deps.js';
import type { DevicePoller } from './device-poll.js';
import { failFlow, finishFlow } from './save-connection.js';

export interface DeviceStart {
  kind: 'device';
  flow_id: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string | undefined;
  expires_at: number;
}

/** Starts a device flow (RFC 8628): the person enters `user_code` at `verification_uri` while the poller waits. */
export async function startDeviceConnect(
  deps: ConnectDeps & { poller: DevicePoller },
  provider: OAuthProvider,
  name: string,
  scopes: string[],
  variables: Record<string, string>,
): Promise<DeviceStart> {
  const client = await deps.apps.clientFor(provider.id, 'device', variables);
  const device = await client.startDevice(scopes);
  const flow = deps.flows.createDevice({ provider: provider.id, name, scopes, variables }, device.expires_in * 1000);
  deps.poller.start({
    flow,
    client,
    deviceCode: device.device_code,
    interval: device.interval,
    onGranted: (tokens) => finishFlow(deps, flow, client, 'device', tokens),
    onFailed: (error) => void failFlow(deps, flow, error),
  });
  return {
    kind: 'device',
    flow_id: flow.id,
    user_code: device.user_code,
    verification_uri: device.verification_uri,
    verification_uri_complete: device.verification_uri_complete,
    expires_at: flow.expires_at,
  };
}

import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, describeError, type Connection, type ConnectRequest, type LatchkeyApi } from './api';

/** The broker forgets a flow after 10 minutes; polling never goes past that. */
export const FLOW_LIFETIME_MS = 10 * 60_000;
const POLL_INTERVAL_MS = 1000;
const GRACE_MS = 5000;

export type FlowState =
  | { phase: 'idle' }
  | { phase: 'starting'; method: ConnectRequest['method'] }
  | { phase: 'browser'; flowId: string; authorizeUrl: string; expiresAt: string; opened: boolean }
  | {
      phase: 'device';
      flowId: string;
      userCode: string;
      verificationUri: string;
      verificationUriComplete?: string;
      expiresAt: string;
    }
  | { phase: 'connected'; connection: Connection | null }
  | { phase: 'failed'; code: string; description: string; details?: Readonly<Record<string, unknown>> };

/** Opens a URL outside the dashboard: a new tab in a browser, the system browser in the desktop app. */
export function openExternal(url: string): boolean {
  // With 'noopener' window.open returns null even on success, so success can't be told apart from a blocked popup.
  window.open(url, '_blank', 'noopener');
  return true;
}

function deadlineFor(expiresAt: string, startedAt: number): number {
  const cap = startedAt + FLOW_LIFETIME_MS;
  const expiry = Date.parse(expiresAt);
  return (Number.isFinite(expiry) ? Math.min(expiry, cap) : cap) + GRACE_MS;
}

/**
 * Starts a connection (POST /connections) and, for browser and device flows, polls
 * GET /connections/flows/{id} every second until it is connected, failed or past its lifetime.
 */
export function useConnectFlow(api: LatchkeyApi, onConnected: (connection: Connection | null) => void) {
  const [state, setState] = useState<FlowState>({ phase: 'idle' });
  // Each start/cancel bumps the generation; a poll loop of an older generation stops by itself.
  const generation = useRef(0);
  const onConnectedRef = useRef(onConnected);
  onConnectedRef.current = onConnected;

  useEffect(
    () => () => {
      generation.current++;
    },
    [],
  );

  const poll = useCallback(
    async (gen: number, flowId: string, expiresAt: string) => {
      const deadline = deadlineFor(expiresAt, Date.now());
      while (gen === generation.current) {
        await new Promise((resolve) => window.setTimeout(resolve, POLL_INTERVAL_MS));
        if (gen !== generation.current) return;
        if (Date.now() > deadline) {
          generation.current++;
          setState({
            phase: 'failed',
            code: 'flow_expired',
            description: 'The sign-in was not finished in time (10 minutes). Start again when you are ready.',
          });
          return;
        }
        try {
          const flow = await api.flow(flowId);
          if (gen !== generation.current) return;
          if (flow.status === 'connected') {
            generation.current++;
            setState({ phase: 'connected', connection: flow.connection ?? null });
            onConnectedRef.current(flow.connection ?? null);
            return;
          }
          if (flow.status === 'failed') {
            generation.current++;
            setState({
              phase: 'failed',
              code: flow.error ?? 'connection_failed',
              description: flow.error_description ?? 'The provider did not grant access.',
            });
            return;
          }
        } catch (error) {
          if (gen !== generation.current) return;
          // A flow the broker no longer knows, or a rejected token: stop. Anything else (a blip): keep polling.
          if (error instanceof ApiError && (error.status === 404 || error.status === 401 || error.status === 410)) {
            generation.current++;
            const { code, description } = describeError(error);
            setState({ phase: 'failed', code, description });
            return;
          }
        }
      }
    },
    [api],
  );

  const start = useCallback(
    async (request: ConnectRequest) => {
      const gen = ++generation.current;
      setState({ phase: 'starting', method: request.method });
      try {
        const result = await api.connect(request);
        if (gen !== generation.current) return;
        switch (result.kind) {
          case 'browser': {
            openExternal(result.authorize_url);
            setState({
              phase: 'browser',
              flowId: result.flow_id,
              authorizeUrl: result.authorize_url,
              expiresAt: result.expires_at,
              opened: true,
            });
            void poll(gen, result.flow_id, result.expires_at);
            break;
          }
          case 'device': {
            setState({
              phase: 'device',
              flowId: result.flow_id,
              userCode: result.user_code,
              verificationUri: result.verification_uri,
              ...(result.verification_uri_complete ? { verificationUriComplete: result.verification_uri_complete } : {}),
              expiresAt: result.expires_at,
            });
            void poll(gen, result.flow_id, result.expires_at);
            break;
          }
          case 'connected': {
            generation.current++;
            setState({ phase: 'connected', connection: result.connection });
            onConnectedRef.current(result.connection);
            break;
          }
        }
      } catch (error) {
        if (gen !== generation.current) return;
        const { code, description } = describeError(error);
        setState({ phase: 'failed', code, description, ...(error instanceof ApiError ? { details: error.body } : {}) });
      }
    },
    [api, poll],
  );

  const cancel = useCallback(() => {
    generation.current++;
    setState({ phase: 'idle' });
  }, []);

  return { state, start, cancel };
}

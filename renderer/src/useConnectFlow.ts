import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, describeError, type Connection, type ConnectRequest, type LatchkeyApi } from './api';
import { useLiveEventsHub } from './live';

/** The broker forgets a flow after 10 minutes; waiting never goes past that. */
export const FLOW_LIFETIME_MS = 10 * 60_000;
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
 * Starts a connection (POST /connections) and, for browser and device flows, waits for the
 * broker's `flow-finished` event (then reads GET /connections/flows/{id} once for the outcome),
 * until it is connected, failed or past its lifetime. After a gap in the event stream
 * (`reset`) the flow is read once, in case it ended during the gap.
 */
export function useConnectFlow(api: LatchkeyApi, onConnected: (connection: Connection | null) => void) {
  const [state, setState] = useState<FlowState>({ phase: 'idle' });
  // Each start/cancel bumps the generation; the wait of an older generation stops by itself.
  const generation = useRef(0);
  const onConnectedRef = useRef(onConnected);
  onConnectedRef.current = onConnected;
  const live = useLiveEventsHub();
  // Ends the current flow's wait (its event subscription and deadline timer).
  const stopFollowing = useRef<() => void>(() => {});

  useEffect(
    () => () => {
      generation.current++;
      stopFollowing.current();
    },
    [],
  );

  /** Reads the flow once; true when it ended (connected or failed) and the state says so. */
  const settle = useCallback(
    async (gen: number, flowId: string): Promise<boolean> => {
      try {
        const flow = await api.flow(flowId);
        if (gen !== generation.current) return true;
        if (flow.status === 'connected') {
          generation.current++;
          setState({ phase: 'connected', connection: flow.connection ?? null });
          onConnectedRef.current(flow.connection ?? null);
          return true;
        }
        if (flow.status === 'failed') {
          generation.current++;
          setState({
            phase: 'failed',
            code: flow.error ?? 'connection_failed',
            description: flow.error_description ?? 'The provider did not grant access.',
          });
          return true;
        }
        return false;
      } catch (error) {
        if (gen !== generation.current) return true;
        const { code, description } = describeError(error);
        // A flow the broker no longer knows, or a rejected token: stop. Anything else (a blip): the next event or the deadline decides.
        if (error instanceof ApiError && (error.status === 404 || error.status === 401 || error.status === 410)) {
          generation.current++;
          setState({ phase: 'failed', code, description });
          return true;
        }
        return false;
      }
    },
    [api],
  );

  const follow = useCallback(
    (gen: number, flowId: string, expiresAt: string) => {
      const deadline = window.setTimeout(() => {
        if (gen !== generation.current) return;
        generation.current++;
        setState({
          phase: 'failed',
          code: 'flow_expired',
          description: 'The sign-in was not finished in time (10 minutes). Start again when you are ready.',
        });
      }, deadlineFor(expiresAt, Date.now()) - Date.now());
      const stop = () => {
        window.clearTimeout(deadline);
        unsubscribe();
      };
      stopFollowing.current();
      stopFollowing.current = stop;
      const unsubscribe = live.subscribe((event) => {
        if ((event.type === 'flow-finished' && event.data.flow_id === flowId) || event.type === 'reset') {
          void settle(gen, flowId).then((ended) => ended && stop());
        }
      });
    },
    [live, settle],
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
            follow(gen, result.flow_id, result.expires_at);
            break;
          }
          case 'device': {
            setState({
              phase: 'device',
              flowId: result.flow_id,
              userCode: result.user_code,
              verificationUri: result.verification_uri,
              ...(result.verification_uri_complete
                ? { verificationUriComplete: result.verification_uri_complete }
                : {}),
              expiresAt: result.expires_at,
            });
            follow(gen, result.flow_id, result.expires_at);
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
    [api, follow],
  );

  const cancel = useCallback(() => {
    generation.current++;
    stopFollowing.current();
    setState({ phase: 'idle' });
  }, []);

  return { state, start, cancel };
}

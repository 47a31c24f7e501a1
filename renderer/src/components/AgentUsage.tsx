import { Area, AreaChart, ResponsiveContainer } from 'recharts';
import type { ActivityReport } from '../api';
import { fromNow, fullDate } from '../format';

/** An agent's last 24 hours: calls, denials, last seen, and a sparkline of calls per hour. */
export function AgentUsage({
  usage,
  spark,
}: {
  usage: ActivityReport['agents'][number] | undefined;
  spark: { at: number; calls: number }[];
}) {
  if (!usage) {
    return (
      <div className="agent-activity small muted" data-testid="agent-usage" data-calls={0}>
        No calls in the last 24 hours
      </div>
    );
  }
  return (
    <div className="agent-activity small" data-testid="agent-usage" data-calls={usage.calls}>
      <span>
        <strong>{usage.calls.toLocaleString()}</strong> {usage.calls === 1 ? 'call' : 'calls'} in 24 h
      </span>
      {usage.denied > 0 ? <span className="decision-denied">{usage.denied} denied</span> : null}
      <span className="muted" title={fullDate(usage.last_at)}>
        last seen {fromNow(usage.last_at)}
      </span>
      <div className="sparkline" aria-hidden="true">
        <ResponsiveContainer width="100%" height="100%">
          <AreaChart data={spark} margin={{ top: 2, right: 0, bottom: 2, left: 0 }}>
            <Area
              dataKey="calls"
              type="monotone"
              stroke="#4c6ef5"
              fill="#4c6ef5"
              fillOpacity={0.25}
              strokeWidth={1.5}
              isAnimationActive={false}
            />
          </AreaChart>
        </ResponsiveContainer>
      </div>
    </div>
  );
}

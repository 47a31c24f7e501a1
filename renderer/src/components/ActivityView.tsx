import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { AGENT_COLORS, activitySeries } from '../activity';
import { describeError, type ActivityRange, type LatchkeyApi } from '../api';
import { clockTime, fromNow, fullDate } from '../format';
import { queryKeys } from '../queries';
import { ErrorMessage, Spinner } from './common';

const RANGES: { value: ActivityRange; label: string }[] = [
  { value: 'hour', label: 'Last hour' },
  { value: 'day', label: 'Last day' },
  { value: 'week', label: 'Last week' },
];

const tickFormat = (range: ActivityRange) => {
  const format = new Intl.DateTimeFormat(
    undefined,
    range === 'week' ? { weekday: 'short', hour: '2-digit' } : { hour: '2-digit', minute: '2-digit' },
  );
  return (at: number) => format.format(new Date(at));
};

/** Requests per agent over time, denials and errors marked, the busiest connections and each agent's last call. */
export function ActivityView({
  api,
  onOpenAudit,
}: {
  api: LatchkeyApi;
  onOpenAudit: (params: Record<string, string>) => void;
}) {
  const [range, setRange] = useState<ActivityRange>('day');
  const query = useQuery({ queryKey: queryKeys.activity(range), queryFn: () => api.activity(range) });
  const report = query.data;
  const series = report ? activitySeries(report) : null;
  const total = report?.agents.reduce((sum, a) => sum + a.calls, 0) ?? 0;

  return (
    <section className="wide" aria-labelledby="activity-title">
      <div className="page-head">
        <div>
          <h1 id="activity-title">Activity</h1>
          <p className="muted">
            What your agents did through Latchkey: proxied calls per agent, with the broker’s denials and the providers’
            errors.
          </p>
        </div>
        <div className="actions page-actions range-switch" role="group" aria-label="Time range">
          {RANGES.map((r) => (
            <button
              key={r.value}
              type="button"
              className={`button button-small${range === r.value ? ' button-primary' : ''}`}
              aria-pressed={range === r.value}
              onClick={() => setRange(r.value)}
            >
              {r.label}
            </button>
          ))}
        </div>
      </div>

      {query.error ? <ErrorMessage {...describeError(query.error)} /> : null}
      {!report && query.isPending ? (
        <div className="empty">
          <Spinner /> Loading activity…
        </div>
      ) : null}

      {report && series ? (
        <>
          <div className="card chart-card" data-testid="activity-chart" data-calls={total}>
            <h2 className="chart-title">
              {total.toLocaleString()} {total === 1 ? 'call' : 'calls'} · {report.agents.length}{' '}
              {report.agents.length === 1 ? 'agent' : 'agents'}
            </h2>
            {total === 0 ? (
              <p className="muted chart-empty">No agent called a provider in this range yet.</p>
            ) : (
              <ResponsiveContainer width="100%" height={280}>
                <ComposedChart data={series.points} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
                  <CartesianGrid vertical={false} />
                  <XAxis dataKey="at" tickFormatter={tickFormat(range)} minTickGap={24} />
                  <YAxis allowDecimals={false} />
                  <Tooltip
                    labelFormatter={(at) => clockTime(new Date(Number(at)).toISOString())}
                    wrapperClassName="chart-tooltip"
                  />
                  <Legend />
                  {series.agents.map((agent, i) => (
                    <Bar
                      key={agent.id}
                      dataKey={agent.id}
                      name={agent.name}
                      stackId="calls"
                      fill={AGENT_COLORS[i % AGENT_COLORS.length]}
                      isAnimationActive={false}
                    />
                  ))}
                  <Line
                    dataKey="denied"
                    name="Denied"
                    stroke="#e03131"
                    strokeWidth={2}
                    dot={false}
                    type="linear"
                    isAnimationActive={false}
                  />
                  <Line
                    dataKey="errors"
                    name="Provider errors"
                    stroke="#f08c00"
                    strokeWidth={2}
                    strokeDasharray="4 3"
                    dot={false}
                    type="linear"
                    isAnimationActive={false}
                  />
                </ComposedChart>
              </ResponsiveContainer>
            )}
          </div>

          {report.connections.length > 0 ? (
            <div className="activity-grid">
              <div className="card chart-card" data-testid="busiest-connections">
                <h2 className="chart-title">Busiest connections</h2>
                <ResponsiveContainer width="100%" height={Math.max(80, report.connections.length * 34)}>
                  <BarChart
                    data={report.connections}
                    layout="vertical"
                    margin={{ top: 0, right: 16, bottom: 0, left: 8 }}
                  >
                    <XAxis type="number" hide allowDecimals={false} />
                    <YAxis type="category" dataKey="connection" width={110} />
                    <Tooltip wrapperClassName="chart-tooltip" />
                    <Bar dataKey="calls" name="Calls" fill="#4c6ef5" stackId="c" isAnimationActive={false} />
                  </BarChart>
                </ResponsiveContainer>
              </div>
              <div className="card chart-card">
                <h2 className="chart-title">Each agent’s last call</h2>
                <ul className="last-calls" data-testid="last-calls">
                  {report.agents.map((a, i) => (
                    <li key={a.agent_id} data-agent={a.agent_id}>
                      <span className="legend-dot" data-color={i % AGENT_COLORS.length} aria-hidden="true" />
                      <button type="button" className="button-text" onClick={() => onOpenAudit({ agent: a.agent_id })}>
                        {a.agent_name ?? a.agent_id}
                      </button>
                      <span className="muted small" title={fullDate(a.last_at)}>
                        {fromNow(a.last_at)}
                      </span>
                      <code className="small">
                        {a.last_method} {a.last_connection}
                        {a.last_path}
                      </code>
                      <span className={`small ${a.last_decision === 'deny' ? 'decision-denied' : 'muted'}`}>
                        {a.last_decision === 'deny' ? 'denied' : (a.last_status ?? '')}
                      </span>
                      <span className="muted small">
                        {a.calls} {a.calls === 1 ? 'call' : 'calls'}
                        {a.denied ? ` · ${a.denied} denied` : ''}
                        {a.errors ? ` · ${a.errors} errors` : ''}
                      </span>
                    </li>
                  ))}
                </ul>
              </div>
            </div>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

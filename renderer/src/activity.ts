import type { ActivityReport } from './api';

/** One point of the activity chart: a bucket's start, calls per agent (keyed by agent id), and the bucket's denials and errors. */
export type ActivityPoint = { at: number; denied: number; errors: number } & Record<string, number>;

export interface ActivitySeries {
  points: ActivityPoint[];
  /** Busiest first, as the report lists them. */
  agents: { id: string; name: string }[];
}

/** Every bucket of the report's range, empty ones included, so the time axis is even. */
export function activitySeries(report: ActivityReport): ActivitySeries {
  const agents = report.agents.map((a) => ({ id: a.agent_id, name: a.agent_name ?? a.agent_id }));
  const start = Date.parse(report.since);
  const end = Date.parse(report.until);
  const points: ActivityPoint[] = [];
  const byStart = new Map<number, ActivityPoint>();
  for (let at = start; at <= end; at += report.bucket_ms) {
    const point = { at, denied: 0, errors: 0 } as ActivityPoint;
    for (const agent of agents) point[agent.id] = 0;
    points.push(point);
    byStart.set(at, point);
  }
  for (const bucket of report.buckets) {
    const point = byStart.get(Date.parse(bucket.at));
    if (!point) continue;
    point[bucket.agent_id] = (point[bucket.agent_id] ?? 0) + bucket.calls;
    point.denied += bucket.denied;
    point.errors += bucket.errors;
  }
  return { points, agents };
}

/** One agent's calls per bucket, for a sparkline. */
export function agentSparkline(series: ActivitySeries, agentId: string): { at: number; calls: number }[] {
  return series.points.map((point) => ({ at: point.at, calls: point[agentId] ?? 0 }));
}

/** Chart colours that read on the light and the dark theme alike. */
export const AGENT_COLORS = ['#4c6ef5', '#12b886', '#f59f00', '#ae3ec9', '#15aabf', '#e64980', '#82c91e', '#fd7e14'];

import { useEffect, useState } from 'react';
import { ApiError, api, describeError } from '../api/http';
import { BarChart, LineChart } from './charts';

interface Latency {
  count: number;
  medianMs: number | null;
  p95Ms: number | null;
}
interface Channel {
  delivered: number;
  failed: number;
}
interface Day {
  day: string;
  activeUsers: number;
  messages: number;
  newConversations: number;
  mediaUploaded: number;
  mediaBytes: number;
  notifications: Record<string, Channel>;
  latency: { delivered: Latency; read: Latency };
}
interface Report {
  days: Day[];
  totals: Omit<Day, 'day'>;
}

const iso = (d: Date) => d.toISOString().slice(0, 10);

/** Usage and delivery figures for administrators, from the analytics service. */
export function AdminPage() {
  const [range, setRange] = useState(30);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const to = new Date();
    const from = new Date(to.getTime() - (range - 1) * 86_400_000);
    setError(null);
    api<Report>('/analytics/daily', { query: { from: iso(from), to: iso(to) } }).then(
      setReport,
      (err: unknown) =>
        setError(
          err instanceof ApiError && err.status === 403
            ? 'This page is for administrators.'
            : describeError(err),
        ),
    );
  }, [range]);
  const labels = report?.days.map((d) => d.day) ?? [];
  const seconds = (v: number | null) => (v === null ? null : Math.round(v / 100) / 10);
  return (
    <section className="page admin-page">
      <h1>Administration</h1>
      <label htmlFor="range">Period</label>{' '}
      <select id="range" value={range} onChange={(e) => setRange(Number(e.target.value))}>
        <option value={7}>Last 7 days</option>
        <option value={30}>Last 30 days</option>
        <option value={90}>Last 90 days</option>
      </select>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {report && (
        <>
          <dl className="totals">
            <div>
              <dt>Messages</dt>
              <dd>{report.totals.messages}</dd>
            </div>
            <div>
              <dt>New conversations</dt>
              <dd>{report.totals.newConversations}</dd>
            </div>
            <div>
              <dt>Media uploaded</dt>
              <dd>
                {report.totals.mediaUploaded} ({(report.totals.mediaBytes / 1_048_576).toFixed(1)} MiB)
              </dd>
            </div>
            <div>
              <dt>Median time to read</dt>
              <dd>
                {report.totals.latency.read.medianMs === null
                  ? '–'
                  : `${seconds(report.totals.latency.read.medianMs)} s`}
              </dd>
            </div>
          </dl>
          <div className="charts">
            <LineChart
              title="Messages and active users per day"
              labels={labels}
              series={[
                { label: 'Messages', className: 's1', values: report.days.map((d) => d.messages) },
                { label: 'Active users', className: 's2', values: report.days.map((d) => d.activeUsers) },
              ]}
            />
            <LineChart
              title="Time to delivery and to read (median, seconds)"
              unit="s"
              labels={labels}
              series={[
                {
                  label: 'Delivered',
                  className: 's1',
                  values: report.days.map((d) => seconds(d.latency.delivered.medianMs)),
                },
                {
                  label: 'Read',
                  className: 's2',
                  values: report.days.map((d) => seconds(d.latency.read.medianMs)),
                },
              ]}
            />
            <BarChart
              title="Notifications delivered per channel"
              bars={Object.entries(report.totals.notifications).map(([channel, f]) => ({
                label: channel,
                value: f.delivered,
              }))}
            />
            <BarChart
              title="Notifications failed per channel"
              bars={Object.entries(report.totals.notifications).map(([channel, f]) => ({
                label: channel,
                value: f.failed,
                className: 'bad',
              }))}
            />
          </div>
          <details>
            <summary>Figures as a table</summary>
            <table>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col">Messages</th>
                  <th scope="col">Active users</th>
                  <th scope="col">New conversations</th>
                  <th scope="col">Media</th>
                </tr>
              </thead>
              <tbody>
                {report.days.map((d) => (
                  <tr key={d.day}>
                    <th scope="row">{d.day}</th>
                    <td>{d.messages}</td>
                    <td>{d.activeUsers}</td>
                    <td>{d.newConversations}</td>
                    <td>{d.mediaUploaded}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}
    </section>
  );
}

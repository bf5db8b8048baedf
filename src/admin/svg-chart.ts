import { html, type SafeHtml } from './html.ts';

/** One stacked layer of a bar chart: a status, a provider, a destination. */
export type BarSeries = { name: string; color: string; values: readonly number[] };

export type StackedBars = {
  id: string;
  title: string;
  /** One per bar: the UTC hour it counts (ISO 8601). */
  buckets: readonly string[];
  series: readonly BarSeries[];
  /** What one unit is, for the labels: `event`, `dead letter`. */
  unit: string;
};

export type LatencyRow = { destination: string; samples: number; p50Ms: number; p95Ms: number; maxMs: number };

const WIDTH = 760;
const HEIGHT = 220;
const LEFT = 44;
const RIGHT = 8;
const TOP = 12;
const BOTTOM = 28;

/**
 * A server-rendered stacked bar chart: no script, readable as it is. Every bar carries a <title>
 * (a tooltip, and what a screen reader reads) and its counts as data attributes; the legend under
 * it gives each layer's total as text.
 */
export function stackedBarChart(chart: StackedBars): SafeHtml {
  const n = chart.buckets.length;
  const totals = chart.buckets.map((_, i) => chart.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const top = niceMax(Math.max(0, ...totals));
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const slot = plotW / Math.max(1, n);
  const barW = Math.max(1, slot * 0.8);
  const y = (value: number) => TOP + plotH - (value / top) * plotH;
  const labelEvery = n <= 24 ? 3 : n <= 48 ? 6 : 24;
  const grand = totals.reduce((a, b) => a + b, 0);
  const titleId = `${chart.id}-title`;
  const bars = chart.buckets.map((bucket, i) => {
    let base = 0;
    const parts = chart.series.filter((s) => (s.values[i] ?? 0) > 0);
    const tip = `${hourLabel(bucket)} UTC: ${plural(totals[i]!, chart.unit)}${parts.length ? ` — ${parts.map((s) => `${s.values[i]} ${s.name}`).join(', ')}` : ''}`;
    return html`<g class="bar" data-bucket="${bucket}" data-total="${totals[i]!}"><title>${tip}</title>${parts.map((s) => {
      const value = s.values[i]!;
      const rect = html`<rect x="${fmt(LEFT + i * slot + (slot - barW) / 2)}" y="${fmt(y(base + value))}" width="${fmt(barW)}" height="${fmt(y(base) - y(base + value))}" fill="${s.color}" data-series="${s.name}" data-count="${value}"></rect>`;
      base += value;
      return rect;
    })}</g>`;
  });
  const ticks = [0, top / 2, top].map(
    (value) => html`<g class="tick"><line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${fmt(y(value))}" y2="${fmt(y(value))}" stroke="#ddd"></line>
      <text x="${LEFT - 6}" y="${fmt(y(value) + 4)}" text-anchor="end">${formatCount(value)}</text></g>`,
  );
  const xLabels = chart.buckets.map((bucket, i) =>
    i % labelEvery === 0
      ? html`<text x="${fmt(LEFT + i * slot + slot / 2)}" y="${HEIGHT - 10}" text-anchor="middle">${n > 48 ? bucket.slice(5, 10) : bucket.slice(11, 16)}</text>`
      : '',
  );
  return html`
    <figure class="chart" id="${chart.id}" data-total="${grand}">
      <svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${titleId}" preserveAspectRatio="xMidYMid meet">
        <title id="${titleId}">${chart.title}: ${plural(grand, chart.unit)}</title>
        ${ticks}${bars}${xLabels}
      </svg>
      <figcaption><strong>${chart.title}</strong> <span class="count">${plural(grand, chart.unit)}</span>
        <ul class="legend">${chart.series.map((s) => {
          const total = s.values.reduce((a, b) => a + b, 0);
          return html`<li data-series="${s.name}" data-total="${total}"><span class="swatch" style="background:${s.color}"></span>${s.name} ${total}</li>`;
        })}</ul>
      </figcaption>
    </figure>`;
}

/** p50 and p95 per destination as horizontal bars, with the figures written beside them. */
export function latencyChart(id: string, title: string, rows: readonly LatencyRow[]): SafeHtml {
  const rowH = 34;
  const labelW = 150;
  const height = TOP + rows.length * rowH + 8;
  const top = niceMax(Math.max(1, ...rows.map((row) => row.p95Ms)));
  const plotW = WIDTH - labelW - 250;
  const x = (ms: number) => labelW + (Math.min(ms, top) / top) * plotW;
  const titleId = `${id}-title`;
  return html`
    <figure class="chart" id="${id}">
      <svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="${titleId}">
        <title id="${titleId}">${title}</title>
        ${rows.map((row, i) => {
          const y0 = TOP + i * rowH;
          const tip = `${row.destination}: p50 ${formatMs(row.p50Ms)}, p95 ${formatMs(row.p95Ms)}, max ${formatMs(row.maxMs)} over ${plural(row.samples, 'delivery', 'deliveries')}`;
          return html`<g class="latency" data-destination="${row.destination}" data-samples="${row.samples}" data-p50="${row.p50Ms}" data-p95="${row.p95Ms}">
            <title>${tip}</title>
            <text x="${labelW - 8}" y="${y0 + 17}" text-anchor="end">${row.destination}</text>
            <rect x="${labelW}" y="${y0 + 4}" width="${fmt(Math.max(1, x(row.p95Ms) - labelW))}" height="11" fill="#a8c7fa"></rect>
            <rect x="${labelW}" y="${y0 + 16}" width="${fmt(Math.max(1, x(row.p50Ms) - labelW))}" height="11" fill="#1a73e8"></rect>
            <text x="${fmt(x(row.p95Ms) + 6)}" y="${y0 + 20}">${row.samples === 0 ? 'no deliveries' : `p50 ${formatMs(row.p50Ms)} · p95 ${formatMs(row.p95Ms)} · n=${row.samples}`}</text>
          </g>`;
        })}
      </svg>
      <figcaption><strong>${title}</strong> <span class="hint">dark: median (p50), light: p95</span></figcaption>
    </figure>`;
}

/** 1, 2, 5 × 10ⁿ at or above the largest value, so the axis reads in round numbers. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export function formatMs(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

function formatCount(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function hourLabel(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

function plural(count: number, unit: string, pluralUnit = `${unit}s`): string {
  return `${count} ${count === 1 ? unit : pluralUnit}`;
}

function fmt(value: number): string {
  return (Math.round(value * 10) / 10).toString();
}

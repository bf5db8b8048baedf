import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_STATES, REJECTION_REASONS, createMetrics } from '../../src/shared/metrics.ts';
import { startTestIngress, type TestIngress } from '../support/harness.ts';

/**
 * deploy/: the Prometheus rules (and their promtool tests), the scrape configuration and the Grafana
 * dashboard name hookline's metrics and labels. Here every name they use is compared with what hookline
 * really exports — a running ingress' /metrics, plus prom-client's process metrics that every process
 * adds (createMetrics() with its defaults) — so renaming a metric or a label breaks this test, not a
 * dashboard nobody looks at until the night it matters. promtool's own checks run in .ci/run
 * (check_monitoring_files).
 */
const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
const RULES = 'deploy/prometheus/hookline-rules.yml';
const RULE_TESTS = 'deploy/prometheus/hookline-rules.test.yml';
const SCRAPE = 'deploy/prometheus/prometheus.yml';
const DASHBOARD = 'deploy/grafana/hookline-dashboard.json';

/** Series that come from Prometheus (up) and the blackbox exporter (probe_success), not hookline. */
const FOREIGN_SERIES: Readonly<Record<string, readonly string[]>> = { up: [], probe_success: [] };
/** Labels Prometheus attaches to every scraped series. */
const TARGET_LABELS = ['job', 'instance'];

type Exported = Map<string, ReadonlySet<string>>;

/** Series names of a `# TYPE` family: a histogram is its _bucket, _sum and _count. */
function seriesOf(name: string, type: string): string[] {
  if (type === 'histogram') return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
  if (type === 'summary') return [name, `${name}_sum`, `${name}_count`];
  return [name];
}

function families(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => [match[1]!, match[2]!]));
}

/** Every series name with its label names (`le` for buckets; a summary's `quantile`). */
async function exportedBy(registry: ReturnType<typeof createMetrics>['registry'], served: Map<string, string>): Promise<Exported> {
  const exported: Exported = new Map();
  for (const [name, type] of served) {
    const metric = registry.getSingleMetric(name) as unknown as { labelNames?: readonly string[] } | undefined;
    const labels = [...(metric?.labelNames ?? [])];
    for (const series of seriesOf(name, type)) {
      const extra = series.endsWith('_bucket') ? ['le'] : type === 'summary' && series === name ? ['quantile'] : [];
      exported.set(series, new Set([...labels, ...extra]));
    }
  }
  return exported;
}

// --- a small reading of PromQL: enough to find metric names, label matchers and grouping labels ---

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'inf', 'nan']);
type Matcher = { label: string; op: string; value: string };
type Selector = { metric: string; matchers: Matcher[] };
type Parsed = { selectors: Selector[]; grouping: string[] };

function parseMatchers(body: string): Matcher[] {
  return [...body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => ({ label: m[1]!, op: m[2]!, value: m[3]! }));
}

function parsePromQL(expr: string): Parsed {
  const selectors: Selector[] = [];
  const grouping: string[] = [];
  let rest = expr.replace(/\$\{?[A-Za-z_]\w*\}?/g, '1m');
  // Grafana's label_values(metric{…}, label): a metric and a label, not an expression.
  rest = rest.replace(/label_values\(\s*([a-zA-Z_:][\w:]*)\s*(\{[^}]*\})?\s*,\s*(\w+)\s*\)/g, (_all, metric: string, body: string | undefined, label: string) => {
    selectors.push({ metric, matchers: parseMatchers(body ?? '') });
    grouping.push(label);
    return ' ';
  });
  rest = rest.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_all, _kw: string, labels: string) => {
    grouping.push(...labels.split(',').map((l) => l.trim()).filter(Boolean));
    return ' ';
  });
  rest = rest.replace(/\[[^\]]*\]/g, ' ');
  rest = rest.replace(/([a-zA-Z_:][\w:]*)?\s*\{([^}]*)\}/g, (_all, metric: string | undefined, body: string) => {
    const matchers = parseMatchers(body);
    const named = matchers.find((m) => m.label === '__name__' && m.op === '=');
    if (metric || named) selectors.push({ metric: metric ?? named!.value, matchers });
    return ' ';
  });
  rest = rest.replace(/"(?:[^"\\]|\\.)*"/g, ' ');
  for (const match of rest.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()/g)) {
    const word = match[1]!;
    if (!KEYWORDS.has(word.toLowerCase())) selectors.push({ metric: word, matchers: [] });
  }
  return { selectors, grouping };
}

// --- where the expressions are ---

/** The rules file's records and alerts with their expr (inline, or a block scalar: `|`, `>-`). */
function ruleEntries(text: string): { kind: 'record' | 'alert'; name: string; expr: string }[] {
  const lines = text.split('\n');
  const entries: { kind: 'record' | 'alert'; name: string; expr: string }[] = [];
  let current: { kind: 'record' | 'alert'; name: string } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const head = /^\s*- (record|alert): (\S+)\s*$/.exec(line);
    if (head) current = { kind: head[1] as 'record' | 'alert', name: head[2]! };
    const expr = /^(\s*)expr: (.*)$/.exec(line);
    if (!expr || !current) continue;
    let value = expr[2]!.trim();
    if (/^[|>][-+]?$/.test(value)) {
      const indent = expr[1]!.length;
      const body: string[] = [];
      while (i + 1 < lines.length && (lines[i + 1]!.trim() === '' || lines[i + 1]!.search(/\S/) > indent)) body.push(lines[++i]!.trim());
      value = body.join(' ').trim();
    }
    entries.push({ ...current, expr: value.replace(/^'(.*)'$/, '$1') });
    current = undefined;
  }
  return entries;
}

function dashboardQueries(dashboard: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown, key?: string) => {
    if (typeof node === 'string') {
      if (key === 'expr' || key === 'definition' || key === 'query') found.push(node);
      return;
    }
    if (Array.isArray(node)) for (const item of node) walk(item);
    else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, k);
  };
  walk(dashboard);
  // The datasource variable's query is a plugin type, not PromQL.
  return found.filter((q) => q !== 'prometheus');
}

// ---

let exported: Exported;
let ingress: TestIngress;
let servedByIngress: Map<string, string>;

beforeAll(async () => {
  // The real ingress, as the harness starts it (without prom-client's process metrics)...
  ingress = await startTestIngress();
  const response = await fetch(`${ingress.baseUrl}/metrics`);
  expect(response.status).toBe(200);
  servedByIngress = families(await response.text());
  // ...and what every process adds to it: createMetrics() with its defaults, as src/main.ts calls it.
  const full = createMetrics();
  const all = families(await full.registry.metrics());
  exported = await exportedBy(full.registry, all);
});

afterAll(async () => {
  await ingress?.close();
});

const rulesText = read(RULES);
const rules = ruleEntries(rulesText);
const recorded = new Map(rules.filter((r) => r.kind === 'record').map((r) => [r.name, r.expr]));
const dashboard = JSON.parse(read(DASHBOARD)) as { panels: { id: number; type: string; targets?: { expr: string }[] }[] };
const testExprs = [...read(RULE_TESTS).matchAll(/^\s*(?:- )?(?:series|expr): '(.*)'\s*$/gm)].map((m) => m[1]!);

const SOURCES: { file: string; exprs: string[] }[] = [
  { file: RULES, exprs: rules.map((r) => r.expr) },
  { file: RULE_TESTS, exprs: testExprs },
  { file: DASHBOARD, exprs: dashboardQueries(dashboard) },
];

/** The labels a name can carry: an exported series' own, or for a recording rule those of what it reads. */
function labelsOf(metric: string, seen = new Set<string>()): Set<string> | undefined {
  const own = exported.get(metric) ?? (FOREIGN_SERIES[metric] ? new Set(FOREIGN_SERIES[metric]) : undefined);
  if (own) return new Set([...own, ...TARGET_LABELS]);
  const expr = recorded.get(metric);
  if (expr === undefined || seen.has(metric)) return undefined;
  seen.add(metric);
  const labels = new Set<string>(TARGET_LABELS);
  for (const selector of parsePromQL(expr).selectors) for (const label of labelsOf(selector.metric, seen) ?? []) labels.add(label);
  return labels;
}

describe('the PromQL reading used below', () => {
  it('finds names, matchers and grouping labels, and nothing else', () => {
    const parsed = parsePromQL(
      'sum by (queue) (max by (queue, state) (hookline_queue_jobs{state=~"waiting|delayed"})) > 100 and deriv(hookline:queue_backlog:jobs[15m]) > 0 or up == 0',
    );
    expect(parsed.selectors.map((s) => s.metric)).toEqual(['hookline_queue_jobs', 'hookline:queue_backlog:jobs', 'up']);
    expect(parsed.selectors[0]!.matchers).toEqual([{ label: 'state', op: '=~', value: 'waiting|delayed' }]);
    expect(parsed.grouping).toEqual(['queue', 'queue', 'state']);
    expect(parsePromQL('label_values(hookline_deliveries_total, sink)').selectors.map((s) => s.metric)).toEqual(['hookline_deliveries_total']);
  });

  it('reads every rule of the rules file, with its expression', () => {
    const heads = [...rulesText.matchAll(/^\s*- (record|alert): /gm)].length;
    expect(rules.length).toBe(heads);
    expect(rules.every((r) => r.expr.length > 0)).toBe(true);
    expect(testExprs.length).toBeGreaterThan(20);
  });
});

describe('the metrics deploy/ uses are the ones hookline exports', () => {
  it('the running ingress serves every metric createMetrics() defines', async () => {
    const defined = families(await createMetrics({ defaultMetrics: false }).registry.metrics());
    expect([...servedByIngress.keys()].sort()).toEqual([...defined.keys()].sort());
  });

  it.each(SOURCES)('$file names only exported metrics and recording rules', ({ file, exprs }) => {
    const unknown = new Set<string>();
    for (const expr of exprs) for (const { metric } of parsePromQL(expr).selectors) if (!labelsOf(metric)) unknown.add(metric);
    // And anything that looks like a hookline metric anywhere in the file (descriptions, comments).
    for (const [name] of read(file).matchAll(/(?<![\w:])hookline_[a-zA-Z0-9_]+/g)) if (!exported.has(name)) unknown.add(name);
    expect([...unknown], `${file} uses metrics hookline does not export`).toEqual([]);
  });

  it.each(SOURCES)('$file matches and groups only by labels those metrics carry', ({ exprs }) => {
    const wrong: string[] = [];
    for (const expr of exprs) {
      const { selectors, grouping } = parsePromQL(expr);
      const inExpr = new Set<string>();
      for (const { metric, matchers } of selectors) {
        const labels = labelsOf(metric) ?? new Set<string>();
        for (const label of labels) inExpr.add(label);
        for (const { label } of matchers) if (label !== '__name__' && !labels.has(label)) wrong.push(`${metric}{${label}} in ${expr}`);
      }
      for (const label of grouping) if (!inExpr.has(label)) wrong.push(`by/on (${label}) in ${expr}`);
    }
    expect(wrong).toEqual([]);
  });

  it.each(SOURCES)('$file matches queue states, rejection reasons and jobs that exist', ({ exprs }) => {
    const jobs = new Set([...read(SCRAPE).matchAll(/job_name: (\S+)/g)].map((m) => m[1]!));
    const known: Record<string, ReadonlySet<string>> = { state: new Set(QUEUE_STATES), reason: new Set(REJECTION_REASONS), job: jobs };
    const wrong: string[] = [];
    for (const expr of exprs) {
      for (const { matchers } of parsePromQL(expr).selectors) {
        for (const { label, op, value } of matchers) {
          const allowed = known[label];
          // Literal values and plain alternations (a|b|c); a pattern such as 5.. is not a value list.
          if (!allowed || op.startsWith('!') || !/^[\w-]+(\|[\w-]+)*$/.test(value)) continue;
          for (const one of value.split('|')) if (!allowed.has(one)) wrong.push(`${label}="${one}" in ${expr}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('deploy/ files fit together', () => {
  it('every alert has a for:, a severity and summary, description and runbook annotations', () => {
    const blocks = rulesText.split(/^\s*- alert: /m).slice(1);
    expect(blocks.length).toBe(rules.filter((r) => r.kind === 'alert').length);
    for (const block of blocks) {
      const name = block.split('\n')[0];
      for (const field of [/^\s+for: \d+[smh]$/m, /^\s+severity: (critical|warning|info)$/m, /^\s+summary: /m, /^\s+description: /m, /^\s+runbook: README\.md#/m]) {
        expect(block, `${name}: ${field.source}`).toMatch(field);
      }
    }
  });

  it('the runbook anchors are README headings', () => {
    const anchors = new Set(
      [...read('README.md').matchAll(/^#{2,4} (.+)$/gm)].map((m) =>
        m[1]!.toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-'),
      ),
    );
    const used = [...rulesText.matchAll(/README\.md#([\w-]+)/g)].map((m) => m[1]!);
    expect(used.filter((anchor) => !anchors.has(anchor))).toEqual([]);
  });

  it('the dashboard has unique panel ids and queries on every graph', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) expect(panel.targets?.length, String(panel.id)).toBeGreaterThan(0);
  });

  it('compose mounts files that exist, in the monitoring profile', () => {
    const compose = read('docker-compose.yml');
    const mounts = [...compose.matchAll(/- \.\/(deploy\/[^:\s]+):/g)].map((m) => m[1]!);
    expect(mounts.length).toBeGreaterThanOrEqual(5);
    for (const mount of mounts) expect(existsSync(new URL(`../../${mount}`, import.meta.url)), mount).toBe(true);
    for (const service of ['prometheus', 'blackbox', 'grafana']) {
      const block = new RegExp(`^  ${service}:\\n((?:    .*\\n|\\n)*)`, 'm').exec(compose)?.[1] ?? '';
      expect(block, service).toMatch(/^    profiles: \["monitoring"\]$/m);
    }
  });
});

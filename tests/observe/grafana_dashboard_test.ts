/**
 * examples/grafana/secrets-sync.json against the metrics the program exports: every query names
 * only metrics (and labels) that src/observe/metrics.ts registers — read from a live registry, not
 * from a list copied into the test — and the dashboard covers what an operator watches.
 */
import { Registry } from "prom-client";
import { createMetrics } from "../../src/observe/metrics.ts";
import { assert, assertEquals } from "../support/assert.ts";

const DASHBOARD = new URL("../../examples/grafana/secrets-sync.json", import.meta.url);

/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = ["job", "instance"];

/** PromQL words that are not metric names: aggregations (`sum by (x) (…)`), operators, modifiers. */
const KEYWORDS = new Set([
  "sum",
  "min",
  "max",
  "avg",
  "group",
  "stddev",
  "stdvar",
  "count",
  "count_values",
  "bottomk",
  "topk",
  "quantile",
  "limitk",
  "limit_ratio",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
  "inf",
  "nan",
]);

interface Exported {
  /** Series names a query may use (a histogram's `_bucket`, `_sum`, `_count`). */
  names: Map<string, string>;
  /** Labels of each exported metric family. */
  labels: Map<string, string[]>;
}

/** What createMetrics() registers, with the series names and labels Prometheus will see. */
function exported(): Exported {
  const registry = new Registry();
  createMetrics({ registry });
  const names = new Map<string, string>();
  const labels = new Map<string, string[]>();
  for (const metric of registry.getMetricsAsArray()) {
    const { name, type } = metric as unknown as { name: string; type: string };
    const labelNames = (metric as unknown as { labelNames?: string[] }).labelNames ?? [];
    labels.set(name, labelNames);
    names.set(name, name);
    if (type === "histogram") {
      for (const suffix of ["_bucket", "_sum", "_count"]) names.set(name + suffix, name);
    }
  }
  return { names, labels };
}

interface Query {
  where: string;
  expr: string;
}

/** Every PromQL query of the dashboard: panel targets (rows included) and template variables. */
function queries(dashboard: Record<string, unknown>): Query[] {
  const out: Query[] = [];
  const visit = (panels: unknown, where: string) => {
    for (const panel of (panels as Array<Record<string, unknown>>) ?? []) {
      const title = `${where}panel "${panel.title}"`;
      for (const target of (panel.targets as Array<Record<string, unknown>>) ?? []) {
        out.push({ where: `${title} ${target.refId}`, expr: String(target.expr) });
      }
      visit(panel.panels, where);
    }
  };
  visit(dashboard.panels, "");
  const variables = (dashboard.templating as { list: Array<Record<string, unknown>> }).list;
  for (const variable of variables.filter((v) => v.type === "query")) {
    const query = variable.query as string | { query: string };
    out.push({
      where: `variable "${variable.name}"`,
      expr: typeof query === "string" ? query : query.query,
    });
  }
  return out;
}

interface Names {
  metrics: string[];
  /** Labels used in a selector, with the metric the selector belongs to. */
  selectorLabels: Array<{ metric: string; label: string }>;
  /** Labels of `by (…)`, `without (…)`, `on (…)`, `ignoring (…)` and `label_values(…, label)`. */
  groupingLabels: string[];
}

/** Metric and label names of a PromQL query (enough of PromQL for dashboards). */
function names(expr: string): Names {
  const out: Names = { metrics: [], selectorLabels: [], groupingLabels: [] };
  // Grafana variables, string literals and range/offset durations are not names.
  const text = expr
    .replace(/\$\{?\w+\}?/g, " ")
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\[[^\]]*\]/g, " ");
  const ident = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
  let lastMetric = "";
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const labelList = (): string[] => {
    skipSpace();
    if (text[i] !== "(") return [];
    const end = text.indexOf(")", i);
    const list = text.slice(i + 1, end).split(",").map((s) => s.trim()).filter(Boolean);
    i = end + 1;
    return list;
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "{") {
      const end = text.indexOf("}", i);
      for (const m of text.slice(i + 1, end).matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)) {
        out.selectorLabels.push({ metric: lastMetric, label: m[1]! });
      }
      i = end + 1;
      lastMetric = "";
      continue;
    }
    if (/\d/.test(ch) || (ch === "." && /\d/.test(text[i + 1] ?? ""))) {
      while (i < text.length && /[\w.]/.test(text[i]!)) i++; // a number: 0.95, 1e3
      continue;
    }
    ident.lastIndex = i;
    const match = ident.exec(text);
    if (!match) {
      i++;
      continue;
    }
    const word = match[0];
    i += word.length;
    skipSpace();
    if (["by", "without", "on", "ignoring", "group_left", "group_right"].includes(word)) {
      out.groupingLabels.push(...labelList());
    } else if (word === "label_values") {
      // Grafana's label_values(selector, label) or label_values(label).
      const end = text.lastIndexOf(")");
      const args = text.slice(i + 1, end);
      const comma = args.lastIndexOf(",");
      out.groupingLabels.push(args.slice(comma + 1).trim());
      const inner = names(comma === -1 ? "" : args.slice(0, comma));
      out.metrics.push(...inner.metrics);
      out.selectorLabels.push(...inner.selectorLabels);
      i = end + 1;
    } else if (text[i] === "(" || KEYWORDS.has(word.toLowerCase())) {
      // A function or aggregation, or an operator word.
    } else {
      out.metrics.push(word);
      lastMetric = word;
    }
  }
  return out;
}

Deno.test("names() reads metrics and labels out of PromQL", () => {
  assertEquals(
    names(
      'histogram_quantile(0.95, sum by (le, operation) (rate(vault_request_duration_seconds_bucket{job=~"$job"}[$__rate_interval])))',
    ),
    {
      metrics: ["vault_request_duration_seconds_bucket"],
      selectorLabels: [{ metric: "vault_request_duration_seconds_bucket", label: "job" }],
      groupingLabels: ["le", "operation"],
    },
  );
  assertEquals(names('count(circuit_breaker_state{x="a"} == 2) or vector(0)').metrics, [
    "circuit_breaker_state",
  ]);
  assertEquals(names('label_values(secret_fetch_total{job=~"$job"}, secret)'), {
    metrics: ["secret_fetch_total"],
    selectorLabels: [{ metric: "secret_fetch_total", label: "job" }],
    groupingLabels: ["secret"],
  });
});

Deno.test("every query of the Grafana dashboard names a metric the sidecar exports, with its labels", async () => {
  const dashboard = JSON.parse(await Deno.readTextFile(DASHBOARD));
  const { names: series, labels } = exported();
  const problems: string[] = [];
  const all = queries(dashboard);
  assert(all.length > 10, `only ${all.length} queries found`);
  for (const { where, expr } of all) {
    const found = names(expr);
    if (found.metrics.length === 0) problems.push(`${where}: names no metric: ${expr}`);
    const families = new Set<string>();
    for (const metric of found.metrics) {
      const family = series.get(metric);
      if (family === undefined) problems.push(`${where}: "${metric}" is not exported`);
      else families.add(family);
    }
    const known = (family: string) => [...TARGET_LABELS, ...(labels.get(family) ?? [])];
    for (const { metric, label } of found.selectorLabels) {
      const family = series.get(metric);
      if (family !== undefined && !known(family).includes(label)) {
        problems.push(`${where}: ${metric} has no label "${label}"`);
      }
    }
    const anyLabels = new Set([...families].flatMap(known));
    if ([...families].some((f) => [...series].some(([s, g]) => g === f && s.endsWith("_bucket")))) {
      anyLabels.add("le");
    }
    for (const label of found.groupingLabels) {
      if (!anyLabels.has(label)) problems.push(`${where}: no metric of the query has "${label}"`);
    }
  }
  assertEquals(problems, []);
});

Deno.test("the Grafana dashboard shows sync rate, errors by kind, staleness, breakers, token TTL and hook failures", async () => {
  const dashboard = JSON.parse(await Deno.readTextFile(DASHBOARD));
  const used = queries(dashboard).map((q) => ({ ...names(q.expr), expr: q.expr }));
  const uses = (metric: string, label?: string) =>
    used.some((q) =>
      q.metrics.includes(metric) && (label === undefined || q.groupingLabels.includes(label))
    );
  assert(uses("secret_fetch_total", "status"), "sync rate by outcome");
  assert(uses("secret_fetch_errors_total", "kind"), "sync errors by kind");
  assert(uses("secret_staleness_seconds", "secret"), "staleness per secret");
  assert(uses("circuit_breaker_state", "breaker"), "circuit breaker state");
  assert(uses("vault_token_ttl_seconds", "credentials"), "token TTL per credential set");
  assert(
    used.some((q) => q.metrics.includes("hook_runs_total") && q.expr.includes('result!="success"')),
    "hook failures",
  );
});

Deno.test("the Grafana dashboard's panels have unique ids and use the data source variable", async () => {
  const dashboard = JSON.parse(await Deno.readTextFile(DASHBOARD));
  const ids: number[] = [];
  const problems: string[] = [];
  const visit = (panels: Array<Record<string, unknown>>) => {
    for (const panel of panels) {
      ids.push(panel.id as number);
      if (panel.type !== "row") {
        const uid = (panel.datasource as { uid?: string } | undefined)?.uid;
        if (uid !== "${datasource}") problems.push(`panel "${panel.title}": datasource ${uid}`);
        for (const target of (panel.targets as Array<Record<string, unknown>>) ?? []) {
          const t = (target.datasource as { uid?: string } | undefined)?.uid;
          if (t !== "${datasource}") {
            problems.push(`panel "${panel.title}": target datasource ${t}`);
          }
        }
      }
      visit((panel.panels as Array<Record<string, unknown>>) ?? []);
    }
  };
  visit(dashboard.panels);
  assertEquals(problems, []);
  assertEquals(new Set(ids).size, ids.length, `duplicate panel ids: ${ids}`);
  assertEquals(dashboard.templating.list[0].type, "datasource");
});

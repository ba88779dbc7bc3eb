/**
 * The chart of `bench/compare.ts`: cold start and idle RSS against N for each contender, as plain
 * SVG (no dependencies, no scripts, no external fonts), so docs/performance.md can show it.
 *
 * @example
 * ```ts
 * const svg = compareChart([
 *   { name: "secrets-sync", points: [{ n: 1, startMs: 504, rssMiB: 76 }] },
 *   { name: "bao agent", points: [{ n: 1, startMs: 203, rssMiB: 81.5 }] },
 * ], { caption: ["quick run, 2026-12-02"] });
 * ```
 *
 * @module
 */

/** One contender's figures at one N. */
export interface ChartPoint {
  n: number;
  startMs?: number | undefined;
  rssMiB?: number | undefined;
}

/** One line per contender. */
export interface ChartSeries {
  name: string;
  points: ChartPoint[];
}

/** Options of {@linkcode compareChart}. */
export interface CompareChartOptions {
  /** Caption lines under the panels (date, machine, command). @default [] */
  caption?: string[];
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
const DASHES = ["", "6 4", "2 3", "8 3 2 3"];
const PANEL_W = 320;
const PANEL_H = 220;
const MARGIN = { left: 56, right: 16, top: 34, bottom: 40 };

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/** A round axis maximum and step above `max` (1, 2 or 5 × 10^k steps, 4–6 ticks). */
function niceAxis(max: number): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.25 };
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  return { top: Math.ceil(max / step) * step, step };
}

function formatNumber(value: number): string {
  return value >= 1000 ? value.toLocaleString("en-US") : String(+value.toFixed(2));
}

function panel(
  series: ChartSeries[],
  counts: number[],
  pick: (p: ChartPoint) => number | undefined,
  label: string,
  x0: number,
): string {
  const w = PANEL_W - MARGIN.left - MARGIN.right;
  const h = PANEL_H - MARGIN.top - MARGIN.bottom;
  const left = x0 + MARGIN.left;
  const top = MARGIN.top;
  const values = series.flatMap((s) => s.points.map(pick)).filter((v): v is number =>
    v !== undefined && Number.isFinite(v)
  );
  const { top: yMax, step } = niceAxis(Math.max(0, ...values));
  // N on a categorical axis: 1, 100 and 1,000 are equally far apart, as on a log scale.
  const xAt = (n: number) =>
    left + (counts.length === 1 ? w / 2 : (counts.indexOf(n) / (counts.length - 1)) * w);
  const yAt = (v: number) => top + h - (v / yMax) * h;
  const out: string[] = [];
  out.push(
    `<text x="${left + w / 2}" y="${top - 14}" text-anchor="middle" font-weight="bold">${
      escapeXml(label)
    }</text>`,
  );
  for (let v = 0; v <= yMax + step / 2; v += step) {
    const y = yAt(v).toFixed(1);
    out.push(
      `<line x1="${left}" y1="${y}" x2="${left + w}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${
        formatNumber(v)
      }</text>`,
    );
  }
  for (const n of counts) {
    out.push(
      `<text x="${xAt(n).toFixed(1)}" y="${top + h + 16}" text-anchor="middle">${
        formatNumber(n)
      }</text>`,
    );
  }
  out.push(
    `<text x="${left + w / 2}" y="${top + h + 32}" text-anchor="middle">N (secrets)</text>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + h}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top + h}" x2="${left + w}" y2="${top + h}" stroke="#333"/>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = s.points.map((p) => [p.n, pick(p)] as const)
      .filter((p): p is readonly [number, number] => p[1] !== undefined && Number.isFinite(p[1]))
      .sort((a, b) => counts.indexOf(a[0]) - counts.indexOf(b[0]));
    if (pts.length > 1) {
      const d = pts.map(([n, v]) => `${xAt(n).toFixed(1)},${yAt(v).toFixed(1)}`).join(" ");
      const dash = DASHES[i % DASHES.length]
        ? ` stroke-dasharray="${DASHES[i % DASHES.length]}"`
        : "";
      out.push(
        `<polyline points="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`,
      );
    }
    for (const [n, v] of pts) {
      out.push(
        `<circle cx="${xAt(n).toFixed(1)}" cy="${yAt(v).toFixed(1)}" r="3.5" fill="${color}">` +
          `<title>${escapeXml(`${s.name}, N=${n}: ${formatNumber(v)}`)}</title></circle>`,
      );
    }
  });
  return out.join("\n");
}

/**
 * Two panels side by side — cold start → all files (ms) and idle RSS (MiB) against N — one line
 * per contender, with a legend and an optional caption.
 */
export function compareChart(series: ChartSeries[], options: CompareChartOptions = {}): string {
  const { caption = [] } = options;
  const counts = [...new Set(series.flatMap((s) => s.points.map((p) => p.n)))].sort((a, b) =>
    a - b
  );
  const width = PANEL_W * 2;
  const legendY = PANEL_H + 8;
  const height = legendY + 20 + caption.length * 16;
  const legend = series.map((s, i) => {
    const x = 70 + i * 180;
    const color = COLORS[i % COLORS.length]!;
    const dash = DASHES[i % DASHES.length]
      ? ` stroke-dasharray="${DASHES[i % DASHES.length]}"`
      : "";
    return `<line x1="${x}" y1="${legendY}" x2="${
      x + 24
    }" y2="${legendY}" stroke="${color}" stroke-width="2"${dash}/>` +
      `<text x="${x + 30}" y="${legendY}" dominant-baseline="middle">${escapeXml(s.name)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    panel(series, counts, (p) => p.startMs, "Cold start → all files (ms)", 0),
    panel(series, counts, (p) => p.rssMiB, "Idle RSS 60 s after ready (MiB)", PANEL_W),
    ...legend,
    ...caption.map((line, i) =>
      `<text x="${width / 2}" y="${legendY + 24 + i * 16}" text-anchor="middle" fill="#555" ` +
      `font-size="11">${escapeXml(line)}</text>`
    ),
    "</svg>",
    "",
  ].join("\n");
}

// Plain SVG charts drawn with theme colours: streams over time and the idle histogram.
import type { HistogramBucket, SeriesPoint } from '../../src/dashboard/series';
import { KINDS } from '../../src/dashboard/series';

const SVG = 'http://www.w3.org/2000/svg';
const H = 160;
/** Drawn at the element's own width so text keeps its size. */
const widthOf = (svg: SVGSVGElement): number => Math.max(300, Math.round(svg.clientWidth || 600));
const PAD = { left: 36, right: 8, top: 8, bottom: 20 };

export const SERIES_COLOURS: Record<string, string> = {
  unary: 'var(--vscode-charts-purple)',
  client_stream: 'var(--vscode-charts-blue)',
  server_stream: 'var(--vscode-charts-green)',
  bidi: 'var(--vscode-charts-orange)',
  suspect: 'var(--vscode-charts-red)',
};

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function niceMax(v: number): number {
  if (v <= 5) return 5;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  return Math.ceil(v / p) * p;
}

export function drawLineChart(svg: SVGSVGElement, points: SeriesPoint[], windowMs: number): void {
  const W = widthOf(svg);
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const now = points.length > 0 ? points[points.length - 1].t : Date.now();
  // Until 15 minutes of history exist, span what there is (at least a minute) instead of a flat line at the edge.
  const span = Math.min(windowMs, Math.max(60_000, points.length > 0 ? now - points[0].t : 0));
  const from = now - span;
  windowMs = span;
  const visible = points.filter((p) => p.t >= from);
  const max = niceMax(Math.max(1, ...visible.map((p) => Math.max(p.unary + p.client_stream + p.server_stream + p.bidi, p.suspect))));
  const x = (t: number): number => PAD.left + ((t - from) / windowMs) * (W - PAD.left - PAD.right);
  const y = (v: number): number => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  for (const v of [0, max / 2, max]) {
    svg.append(el('line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(el('text', { x: PAD.left - 4, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, String(Math.round(v))));
  }
  svg.append(el('text', { x: PAD.left, y: H - 4, class: 'axis' }, span >= 120_000 ? `-${Math.round(span / 60_000)} min` : `-${Math.round(span / 1000)} s`));
  svg.append(el('text', { x: W - PAD.right, y: H - 4, class: 'axis', 'text-anchor': 'end' }, 'now'));
  for (const key of [...KINDS, 'suspect'] as const) {
    const pts = visible.map((p) => `${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
    svg.append(el('polyline', { points: pts, fill: 'none', stroke: SERIES_COLOURS[key], 'stroke-width': key === 'suspect' ? 2 : 1.5, 'stroke-dasharray': key === 'suspect' ? '4 3' : 'none', 'data-series': key, 'data-points': visible.length }));
  }
}

export function drawHistogram(svg: SVGSVGElement, buckets: HistogramBucket[], warnFromMs: number): void {
  const W = widthOf(svg);
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const max = niceMax(Math.max(1, ...buckets.map((b) => b.count)));
  const bw = (W - PAD.left - PAD.right) / buckets.length;
  buckets.forEach((b, i) => {
    const h = (b.count / max) * (H - PAD.top - PAD.bottom);
    const x0 = PAD.left + i * bw + 4;
    const lower = i === 0 ? 0 : buckets[i - 1].upTo;
    const bar = el('rect', { x: x0, y: H - PAD.bottom - h, width: bw - 8, height: Math.max(0, h), class: lower >= warnFromMs ? 'bar warn' : 'bar', 'data-count': b.count });
    bar.append(el('title', {}, `${b.count} streams idle ${b.label}`));
    svg.append(bar);
    svg.append(el('text', { x: x0 + (bw - 8) / 2, y: H - 6, class: 'axis', 'text-anchor': 'middle' }, b.label));
    if (b.count > 0) svg.append(el('text', { x: x0 + (bw - 8) / 2, y: H - PAD.bottom - h - 3, class: 'axis', 'text-anchor': 'middle' }, String(b.count)));
  });
}

/**
 * A pipeline's DAG in SVG, laid out in layers: the triggering event on the left, each step one
 * layer right of its furthest input, steps in a layer ordered by where their inputs sit (one
 * barycenter pass, fewer crossings); a fallback right below the step it stands in for, linked by a
 * short dashed line. Each step shows its id, component and run status inside its box. The graph
 * shrinks to fit its box down to 60 % of its size, then scrolls sideways and says so.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { PipelineStep, StepStatus } from '../../api-types.js';

const NODE_W = 170;
const NODE_H = 58;
const GAP_X = 56;
const GAP_Y = 18;
const PAD = 8;
/** Below this share of its natural size the graph stops shrinking and scrolls sideways instead. */
const MIN_SCALE = 0.6;
/** Characters that surely fit a node's width: bold 13 px labels, 11 px subtitles (a wide glyph is ~0.65 em). */
const LABEL_CHARS = Math.floor((NODE_W - 20) / 8.5);
const SUB_CHARS = Math.floor((NODE_W - 20) / 7);
export const EVENT_NODE = 'event';

/** A step's inputs; none named means the triggering event. */
export function inputsOf(step: PipelineStep): string[] {
  return Array.isArray(step.input) ? step.input : [step.input ?? EVENT_NODE];
}

/** `text` cut to `max` characters with an ellipsis. */
function ellipsize(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

interface Placed {
  readonly id: string;
  readonly label: string;
  readonly sub: string;
  readonly x: number;
  readonly y: number;
}

/** The step that names `id` as its fallback, if any. */
function ownerOf(steps: readonly PipelineStep[], id: string): PipelineStep | undefined {
  return steps.find((s) => s.fallback === id);
}

/**
 * Layer of every node (`event` is 0); unknown inputs and cycles put a step in layer 1. A fallback
 * step sits in the layer of the step it stands in for (at least), so its dashed link is short.
 */
export function layers(steps: readonly PipelineStep[]): Map<string, number> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const layer = new Map<string, number>([[EVENT_NODE, 0]]);
  const visit = (id: string, trail: Set<string>): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    const step = byId.get(id);
    if (!step || trail.has(id)) return 0;
    trail.add(id);
    const owner = step.role === 'fallback' ? ownerOf(steps, id) : undefined;
    // A fallback without its own input takes its owner's place: no link from the event.
    const inputs = owner && step.input === undefined ? [] : inputsOf(step);
    let value = 1 + Math.max(0, ...inputs.map((i) => visit(i, trail)));
    if (owner && !trail.has(owner.id)) value = Math.max(value, visit(owner.id, trail));
    trail.delete(id);
    layer.set(id, value);
    return value;
  };
  for (const s of steps) visit(s.id, new Set());
  return layer;
}

function place(steps: readonly PipelineStep[]): Placed[] {
  const layer = layers(steps);
  const columns: PipelineStep[][] = [];
  for (const s of steps) (columns[layer.get(s.id) ?? 1] ??= []).push(s);
  const row = new Map<string, number>([[EVENT_NODE, 0]]);
  const placed: Placed[] = [{ id: EVENT_NODE, label: 'event', sub: 'trigger', x: PAD, y: PAD }];
  columns.forEach((column, l) => {
    if (!column) return;
    const center = (s: PipelineStep): number => {
      const rows = inputsOf(s)
        .map((i) => row.get(i))
        .filter((r): r is number => r !== undefined);
      return rows.length === 0 ? 0 : rows.reduce((a, b) => a + b, 0) / rows.length;
    };
    // Regular steps by where their inputs sit; each fallback right below the step it stands in for.
    const isPlacedFallback = (s: PipelineStep): boolean => s.role === 'fallback' && column.some((o) => o.fallback === s.id);
    const ordered: PipelineStep[] = [];
    for (const s of [...column].filter((x) => !isPlacedFallback(x)).sort((a, b) => center(a) - center(b))) {
      ordered.push(s);
      const fb = column.find((x) => x.id === s.fallback && isPlacedFallback(x));
      if (fb) ordered.push(fb);
    }
    ordered.forEach((s, i) => {
      row.set(s.id, i);
      placed.push({
        id: s.id,
        label: s.id,
        sub: s.role === 'fallback' ? `${s.component} (fallback)` : s.component,
        x: PAD + l * (NODE_W + GAP_X),
        y: PAD + i * (NODE_H + GAP_Y),
      });
    });
  });
  return placed;
}

function edge(from: Placed, to: Placed): string {
  // Same column (a fallback under its step): straight down from the bottom edge to the top edge.
  if (from.x === to.x) {
    const x = from.x + NODE_W / 2;
    return to.y > from.y ? `M${x},${from.y + NODE_H} L${x},${to.y}` : `M${x},${from.y} L${x},${to.y + NODE_H}`;
  }
  const x1 = from.x + NODE_W;
  const y1 = from.y + NODE_H / 2;
  const x2 = to.x;
  const y2 = to.y + NODE_H / 2;
  if (x2 <= x1) return `M${from.x + NODE_W / 2},${from.y + NODE_H} C${from.x + NODE_W / 2},${to.y + NODE_H / 2} ${x2 - 20},${y2} ${x2},${y2}`;
  const mid = (x1 + x2) / 2;
  return `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
}

/** Whether `el` is wider than its box (so it scrolls): watched as the window resizes. */
function useOverflow(ref: { current: HTMLElement | null }): boolean {
  const [over, setOver] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const check = (): void => setOver(el.scrollWidth > el.clientWidth + 1);
    check();
    const observer = new ResizeObserver(check);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return over;
}

export function PipelineGraph(props: { name: string; steps: readonly PipelineStep[]; status?: ReadonlyMap<string, StepStatus> }) {
  const wrap = useRef<HTMLDivElement>(null);
  const scrolls = useOverflow(wrap);
  const nodes = place(props.steps);
  const at = new Map(nodes.map((n) => [n.id, n]));
  const width = Math.max(...nodes.map((n) => n.x)) + NODE_W + PAD;
  const height = Math.max(...nodes.map((n) => n.y)) + NODE_H + PAD;
  const links: Array<{ from: Placed; to: Placed; fallback: boolean }> = [];
  for (const s of props.steps) {
    const to = at.get(s.id)!;
    const standsIn = s.role === 'fallback' && s.input === undefined && ownerOf(props.steps, s.id);
    if (!standsIn) for (const i of inputsOf(s)) if (at.has(i)) links.push({ from: at.get(i)!, to, fallback: false });
    if (s.fallback && at.has(s.fallback)) links.push({ from: to, to: at.get(s.fallback)!, fallback: true });
  }
  const summary = props.steps
    .map(
      (s) =>
        `${s.id} (${s.component}) after ${inputsOf(s).join(', ')}${s.fallback ? `, falling back to ${s.fallback}` : ''}${props.status?.get(s.id) ? `: ${props.status.get(s.id)}` : ''}`,
    )
    .join('; ');
  const key = props.name.replace(/[^a-z0-9-]/gi, '');
  const markerId = `arrow-${key}`;
  const clipId = `clip-${key}`;
  return (
    <div class="graph">
      {scrolls && (
        <p class="graph-hint muted" id={`hint-${key}`}>
          The graph is wider than the screen: scroll it sideways.
        </p>
      )}
      <div
        class={scrolls ? 'graph-wrap scrolls' : 'graph-wrap'}
        ref={wrap}
        // A region that scrolls can be scrolled from the keyboard: focusable, and named.
        {...(scrolls ? { tabIndex: 0, role: 'region', 'aria-label': `Graph of ${props.name} (scrolls sideways)` } : {})}
      >
        <svg
          class="dag"
          viewBox={`0 0 ${width} ${height}`}
          width={width}
          height={height}
          style={{ minWidth: `${Math.round(width * MIN_SCALE)}px` }}
          role="img"
          aria-label={`Pipeline ${props.name}: ${summary}`}
        >
          <defs>
            <marker id={markerId} viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" class="arrow" />
            </marker>
            <clipPath id={clipId}>
              <rect x="2" y="0" width={NODE_W - 6} height={NODE_H} />
            </clipPath>
          </defs>
          {links.map((l, i) => (
            <path key={i} d={edge(l.from, l.to)} class={l.fallback ? 'link fallback' : 'link'} marker-end={`url(#${markerId})`} />
          ))}
          {nodes.map((n) => {
            const status = n.id === EVENT_NODE ? 'source' : (props.status?.get(n.id) ?? 'idle');
            return (
              <g key={n.id} class={`node step-${status}`} transform={`translate(${n.x},${n.y})`} data-step={n.id} data-status={status}>
                <title>{n.id === EVENT_NODE ? 'the triggering event' : `${n.label}: ${n.sub}, ${status}`}</title>
                <rect width={NODE_W} height={NODE_H} rx="6" />
                <g clip-path={`url(#${clipId})`}>
                  <text x="10" y="18" class="node-label">
                    {ellipsize(n.label, LABEL_CHARS)}
                  </text>
                  <text x="10" y="34" class="node-sub">
                    {ellipsize(n.sub, SUB_CHARS)}
                  </text>
                  <text x="10" y="49" class="node-sub node-status">
                    {n.id === EVENT_NODE ? '' : status}
                  </text>
                </g>
              </g>
            );
          })}
        </svg>
      </div>
    </div>
  );
}

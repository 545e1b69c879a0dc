/**
 * A pipeline's DAG in SVG, laid out in layers: the triggering event on the left, each step one
 * layer right of its furthest input, steps in a layer ordered by where their inputs sit (one
 * barycenter pass, fewer crossings). Fallback links are dashed. Each step shows its run status.
 */
import type { PipelineStep, StepStatus } from '../../api-types.js';

const NODE_W = 150;
const NODE_H = 46;
const GAP_X = 64;
const GAP_Y = 18;
const PAD = 8;
export const EVENT_NODE = 'event';

/** A step's inputs; none named means the triggering event. */
export function inputsOf(step: PipelineStep): string[] {
  return Array.isArray(step.input) ? step.input : [step.input ?? EVENT_NODE];
}

interface Placed {
  readonly id: string;
  readonly label: string;
  readonly sub: string;
  readonly x: number;
  readonly y: number;
}

/** Layer of every node (`event` is 0); unknown inputs and cycles put a step in layer 1. */
export function layers(steps: readonly PipelineStep[]): Map<string, number> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const layer = new Map<string, number>([[EVENT_NODE, 0]]);
  const visit = (id: string, trail: Set<string>): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    const step = byId.get(id);
    if (!step || trail.has(id)) return 0;
    trail.add(id);
    const value = 1 + Math.max(0, ...inputsOf(step).map((i) => visit(i, trail)));
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
    [...column]
      .sort((a, b) => center(a) - center(b))
      .forEach((s, i) => {
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
  const x1 = from.x + NODE_W;
  const y1 = from.y + NODE_H / 2;
  const x2 = to.x;
  const y2 = to.y + NODE_H / 2;
  if (x2 <= x1) return `M${from.x + NODE_W / 2},${from.y + NODE_H} C${from.x + NODE_W / 2},${to.y + NODE_H / 2} ${x2 - 20},${y2} ${x2},${y2}`;
  const mid = (x1 + x2) / 2;
  return `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
}

export function PipelineGraph(props: { name: string; steps: readonly PipelineStep[]; status?: ReadonlyMap<string, StepStatus> }) {
  const nodes = place(props.steps);
  const at = new Map(nodes.map((n) => [n.id, n]));
  const width = Math.max(...nodes.map((n) => n.x)) + NODE_W + PAD;
  const height = Math.max(...nodes.map((n) => n.y)) + NODE_H + PAD;
  const links: Array<{ from: Placed; to: Placed; fallback: boolean }> = [];
  for (const s of props.steps) {
    const to = at.get(s.id)!;
    for (const i of inputsOf(s)) if (at.has(i)) links.push({ from: at.get(i)!, to, fallback: false });
    if (s.fallback && at.has(s.fallback)) links.push({ from: to, to: at.get(s.fallback)!, fallback: true });
  }
  const summary = props.steps
    .map((s) => `${s.id} (${s.component}) after ${inputsOf(s).join(', ')}${props.status?.get(s.id) ? `: ${props.status.get(s.id)}` : ''}`)
    .join('; ');
  const markerId = `arrow-${props.name.replace(/[^a-z0-9-]/gi, '')}`;
  return (
    <div class="graph-wrap">
      <svg class="dag" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label={`Pipeline ${props.name}: ${summary}`}>
        <defs>
          <marker id={markerId} viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class="arrow" />
          </marker>
        </defs>
        {links.map((l, i) => (
          <path key={i} d={edge(l.from, l.to)} class={l.fallback ? 'link fallback' : 'link'} marker-end={`url(#${markerId})`} />
        ))}
        {nodes.map((n) => {
          const status = n.id === EVENT_NODE ? 'source' : (props.status?.get(n.id) ?? 'idle');
          return (
            <g key={n.id} class={`node step-${status}`} transform={`translate(${n.x},${n.y})`} data-step={n.id} data-status={status}>
              <rect width={NODE_W} height={NODE_H} rx="6" />
              <text x="10" y="19" class="node-label">
                {n.label.length > 18 ? `${n.label.slice(0, 17)}…` : n.label}
              </text>
              <text x="10" y="36" class="node-sub">
                {n.id === EVENT_NODE ? 'trigger' : `${n.sub.length > 16 ? `${n.sub.slice(0, 15)}…` : n.sub} · ${status}`}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

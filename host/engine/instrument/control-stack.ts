/**
 * The fuel pass's control stack: one frame per open block, with what the pass needs to know
 * about it (kept in parallel arrays, reused across bodies, so pushing allocates nothing).
 */
import type { InstructionReader } from './instruction-reader.js';

/** The kinds of frames. */
export const Frame = { Func: 0, Block: 1, Loop: 2, If: 3, Try: 4 } as const;
export type Frame = (typeof Frame)[keyof typeof Frame];

/** "No branch leaves this frame" (larger than any frame index). */
export const CLEAN = 0x7fffffff;

export class ControlStack {
  readonly kinds: Frame[] = [];
  /** Whether the frame was opened in unreachable code. */
  readonly openedDead: boolean[] = [];
  /** Whether a `try_table` catch clause targets the frame (control joins it from a throw). */
  readonly isTarget: boolean[] = [];
  /** The frame's number in opening order (stable across the two passes of a body). */
  readonly ids: number[] = [];
  /** The charge record of the segment that opened the frame (-1: none). */
  readonly openRec: number[] = [];
  /** The outermost frame a branch inside the frame targets (`CLEAN` if none). */
  readonly exitTo: number[] = [];
  /** The id the next frame gets. */
  nextId = 0;

  constructor(readonly r: InstructionReader) {}

  reset(): void {
    this.kinds.length = 0;
    this.openedDead.length = 0;
    this.isTarget.length = 0;
    this.ids.length = 0;
    this.openRec.length = 0;
    this.exitTo.length = 0;
    this.nextId = 0;
  }

  push(kind: Frame, dead: boolean, target: boolean, rec: number): void {
    this.kinds.push(kind);
    this.openedDead.push(dead);
    this.isTarget.push(target);
    this.ids.push(this.nextId++);
    this.openRec.push(dead ? -1 : rec);
    this.exitTo.push(CLEAN);
  }

  /** Pops the top frame, passing on to its parent the frames branches inside it leave for. */
  pop(): void {
    const exitTo = this.exitTo.pop()!;
    this.kinds.pop();
    this.openedDead.pop();
    this.isTarget.pop();
    this.ids.pop();
    this.openRec.pop();
    const parent = this.exitTo.length - 1;
    if (parent >= 0 && exitTo < this.exitTo[parent]!) this.exitTo[parent] = exitTo;
  }

  /** The index of the innermost frame. */
  top(): number {
    const top = this.kinds.length - 1;
    if (top < 0) this.r.fail('unbalanced `end`', this.r.start);
    return top;
  }

  /** The index of the frame a branch of `depth` targets. */
  frame(depth: number): number {
    const at = this.kinds.length - 1 - depth;
    if (at < 0) this.r.fail(`branch depth ${depth} is outside the function`, this.r.start);
    return at;
  }

  /** Notes that control leaves the innermost frame for frame `at` (0: the function). */
  exit(at: number): void {
    const top = this.kinds.length - 1;
    if (at < this.exitTo[top]!) this.exitTo[top] = at;
  }

  /**
   * Notes a branch to `depth`; returns whether the counter must be stored first (the branch
   * leaves the function or joins a handler's reload point).
   */
  branchTo(depth: number): boolean {
    const at = this.frame(depth);
    this.exit(at);
    return at === 0 || this.isTarget[at]!;
  }

  /** Whether entering the frame at `at` means reaching its end: no branch inside it leaves it. */
  clean(at: number): boolean {
    return this.exitTo[at]! >= at;
  }
}

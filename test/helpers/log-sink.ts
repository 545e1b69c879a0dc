/** A pino log capturing entries synchronously, and the `lnano serve` guest-output sink writing into it. */
import { pino } from 'pino';
import { loggerOutput } from '../../host/sandbox/guest-output.js';
import type { OutputRate } from '../../host/sandbox/output-gate.js';

export function logSink(rate?: OutputRate) {
  const entries: Array<{ msg: string; guest?: { stream?: string; line?: string; dropped?: { stdout: number; stderr: number } } }> = [];
  const logger = pino({ base: null }, { write: (s: string) => void entries.push(JSON.parse(s)) });
  const output = loggerOutput(logger, rate);
  const lines = (stream: string) => entries.filter((e) => e.msg === 'guest output' && e.guest?.stream === stream).map((e) => e.guest!.line);
  const summaries = () => entries.filter((e) => e.guest?.dropped).map((e) => e.guest!.dropped!);
  return { output, lines, summaries };
}

// Types for parse-prometheus-text-format 1.x (the package ships none): the Prometheus text
// exposition format parsed into metric families.
declare module 'parse-prometheus-text-format' {
  export interface PromSample {
    readonly value: string;
    readonly labels?: Readonly<Record<string, string>>;
  }
  export interface PromHistogramSample {
    readonly buckets: Readonly<Record<string, string>>;
    readonly count?: string;
    readonly sum?: string;
    readonly labels?: Readonly<Record<string, string>>;
  }
  export interface PromFamily {
    readonly name: string;
    readonly help: string;
    readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    readonly metrics: ReadonlyArray<PromSample & Partial<PromHistogramSample>>;
  }
  export default function parsePrometheusTextFormat(text: string): PromFamily[];
}

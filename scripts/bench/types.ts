/** What every benchmark module in scripts/bench/ returns from `run(opts)`. */
export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The target, as text ("≥ 6,000 msg/s"). */
  readonly target?: string;
  /** A peer measured in the same run, for a ratio. */
  readonly baseline?: { readonly name: string; readonly value: number };
}

export interface BenchOptions {
  readonly quick: boolean;
  /** A fresh PostgreSQL database for this benchmark module. */
  readonly databaseUrl: string;
}

/** p-th percentile (0–100) of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

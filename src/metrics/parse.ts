// Prometheus text format -> flat samples, through parse-prometheus-text-format (a maintained
// port of the reference client's parser). Histograms and summaries become their series
// (`_bucket{le}`, `{quantile}`, `_sum`, `_count`), as Prometheus itself stores them. Pure.
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function flatten(family: PromFamily): Sample[] {
  const out: Sample[] = [];
  for (const m of family.metrics) {
    const labels = m.labels ?? {};
    if (m.value !== undefined) out.push({ name: family.name, labels, value: Number(m.value) });
    for (const [le, v] of Object.entries(m.buckets ?? {})) out.push({ name: `${family.name}_bucket`, labels: { ...labels, le }, value: Number(v) });
    for (const [quantile, v] of Object.entries(m.quantiles ?? {})) out.push({ name: family.name, labels: { ...labels, quantile }, value: Number(v) });
    if (m.count !== undefined) out.push({ name: `${family.name}_count`, labels, value: Number(m.count) });
    if (m.sum !== undefined) out.push({ name: `${family.name}_sum`, labels, value: Number(m.sum) });
  }
  return out;
}

/** Samples of an exposition; throws naming the problem when the text is not the format. */
export function parseExposition(text: string): Sample[] {
  let families: PromFamily[];
  try {
    families = parsePrometheusTextFormat(text);
  } catch (err) {
    throw new Error(`not Prometheus text format: ${(err as Error).message}`);
  }
  const samples = families.flatMap(flatten);
  // The parser skips what it cannot read; a non-empty body with no sample at all is not an exporter.
  if (!samples.length && text.split('\n').some((l) => l.trim() && !l.startsWith('#'))) {
    throw new Error(`not Prometheus text format (first line: ${JSON.stringify(text.trim().split('\n')[0]?.slice(0, 60))})`);
  }
  return samples;
}

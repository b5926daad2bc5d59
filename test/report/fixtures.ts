/** Report fixtures: hand-made evaluation records (no tfjs) and a temporary folder helper. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESULTS_FORMAT, RESULTS_VERSION, type EvalResults } from '../../src/eval/results.js';

/** An evaluation record with the given per-episode accuracies (aggregated = single + `lift` when copies > 1). */
export function fakeResults(options: { dataset?: string; head?: string; transform?: string; shots?: number; single: number[]; aggregated?: number[] }): EvalResults {
  const transform = options.transform ?? 'none';
  const copies = transform === 'none' ? 1 : 4;
  return {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    dataset: options.dataset ?? 'synthetic',
    split: 'test',
    ways: 5,
    shots: options.shots ?? 1,
    queries: 15,
    count: options.single.length,
    manifest: { sha256: 'a'.repeat(64), seed: 0, file: null },
    model: { backbone: { name: 'conv4', channels: 32 }, head: options.head ?? 'protonet', transform, copies, info: null },
    backend: { name: 'cpu', threads: 1 },
    timing: { embedSeconds: 1, episodeSeconds: 1, totalSeconds: 2, imagesEmbedded: 10, workers: 1, cacheBytes: 100 },
    accuracy: { single: options.single, aggregated: options.aggregated ?? options.single },
    finishedAt: '2026-01-01T00:00:00.000Z',
  };
}

/** Runs `body` with a fresh temporary folder, removed afterwards. */
export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-report-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A minimal XML well-formedness check: balanced tags, quoted attributes, escaped text. */
export function checkXml(xml: string): string | null {
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(xml); m; m = tag.exec(xml)) {
    const between = xml.slice(last, m.index);
    if (/[<>]/.test(between) || /&(?!(amp|lt|gt|quot|apos);)/.test(between)) return `bad text before offset ${m.index}: ${between.slice(0, 40)}`;
    last = m.index + m[0].length;
    const [, close, name, , selfClose] = m;
    if (selfClose) continue;
    if (close) {
      if (stack.pop() !== name) return `unbalanced </${name}> at ${m.index}`;
    } else stack.push(name!);
  }
  if (/[<>]/.test(xml.slice(last).trim())) return 'trailing markup';
  return stack.length === 0 ? null : `unclosed <${stack.at(-1)}>`;
}


/**
 * docs/scaling.md's scripts, run here as the schedulers would run them: the Slurm array-job
 * script once per SLURM_ARRAY_TASK_ID, the Kubernetes Indexed Job's command once per
 * JOB_COMPLETION_INDEX, each shard a separate process; then their merge steps. The merged
 * numbers must equal an unsharded evaluation's exactly (cpu backend).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createBackbone, saveCheckpoint } from '../../src/backbones/index.js';
import { describeSynthetic } from '../../src/data/synthetic.js';
import { makeManifest, writeManifest } from '../../src/episodes/index.js';
import type { EvalResults } from '../../src/eval/index.js';
import { withTempDir } from './fixtures.js';

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLES = join(ROOT, 'docs', 'examples', 'scaling');
/** The CLI from source, as JOINTSHOT for the scripts (they default to `npx jointshot`). */
const JOINTSHOT = `${process.execPath} --import tsx ${join(ROOT, 'src', 'cli', 'main.ts')}`;
const EVAL_ARGS = '--backend cpu --transform rotation';

/** A tiny checkpoint and a 7-episode manifest in `dir`. */
async function setup(dir: string): Promise<Record<string, string>> {
  const model = join(dir, 'model.ck');
  const backbone = createBackbone({ name: 'conv4', channels: 4, seed: 1 });
  await saveCheckpoint(model, { backbone });
  backbone.dispose();
  const manifest = join(dir, 'm.json');
  await writeManifest(manifest, makeManifest(describeSynthetic('test'), { ways: 3, shots: 1, queries: 2, count: 7, seed: 5 }));
  return { MODEL: model, DATASET: 'synthetic', MANIFEST: manifest, JOINTSHOT, EVAL_ARGS };
}

const bash = (args: string[], env: Record<string, string>) => run('bash', args, { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
const results = async (dir: string) => JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as EvalResults;

/** The unsharded evaluation, a separate process too. */
async function whole(env: Record<string, string>, out: string): Promise<EvalResults> {
  await run(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'eval', '--checkpoint', env.MODEL!, '--dataset', 'synthetic', '--manifest', env.MANIFEST!, ...EVAL_ARGS.split(' '), '--out', out], { cwd: ROOT });
  return results(out);
}

async function sameNumbers(t: import('ava').ExecutionContext, mergedDir: string, reference: EvalResults): Promise<void> {
  const merged = await results(mergedDir);
  t.deepEqual(merged.accuracy, reference.accuracy);
  t.deepEqual(merged.manifest, reference.manifest);
  t.is(merged.count, reference.count);
  t.deepEqual(merged.model, reference.model);
  t.is(await readFile(join(mergedDir, 'episodes.csv'), 'utf8'), (await readFile(join(dirname(mergedDir), 'whole', 'episodes.csv'), 'utf8')));
}

test.serial('Slurm: eval-shards.sbatch once per array task (separate processes), then merge-shards.sbatch, equals the unsharded run', async (t) => {
  t.timeout(600_000);
  await withTempDir(async (dir) => {
    const env = { ...(await setup(dir)), OUT: join(dir, 'out') };
    const reference = await whole(env, join(dir, 'out', 'whole'));
    await Promise.all(
      [1, 2, 3].map((i) => bash([join(EXAMPLES, 'eval-shards.sbatch')], { ...env, SLURM_ARRAY_TASK_ID: String(i), SLURM_ARRAY_TASK_COUNT: '3' })),
    );
    t.deepEqual(await Promise.all([1, 2, 3].map(async (i) => (await results(join(dir, 'out', `shard-${i}`))).count)), [2, 2, 3]);
    await bash([join(EXAMPLES, 'merge-shards.sbatch')], { OUT: env.OUT, JOINTSHOT });
    await sameNumbers(t, join(dir, 'out', 'merged'), reference);
    // Outside an array job the script refuses with a one-line message.
    const error = await bash([join(EXAMPLES, 'eval-shards.sbatch')], { ...env, SLURM_ARRAY_TASK_ID: '', SLURM_ARRAY_TASK_COUNT: '' }).catch((e: { stderr: string }) => e);
    t.regex((error as { stderr: string }).stderr, /run as an array job: sbatch --array=1-N/);
  });
});

/** The shell script under `args: - |` of a Job manifest's container, and the env names it declares. */
async function jobScript(file: string): Promise<{ script: string; env: string[] }> {
  const text = await readFile(join(EXAMPLES, file), 'utf8');
  const block = /\n(\s*)args:\n\s*- \|\n((?:\1\s+.*\n)+)/.exec(text);
  if (!block) throw new Error(`${file}: no args block`);
  const indent = /^(\s*)/.exec(block[2]!)![1]!.length;
  const script = block[2]!.split('\n').map((line) => line.slice(indent)).join('\n');
  const env = [...text.matchAll(/- \{ name: (\w+), value:/g)].map((m) => m[1]!);
  return { script, env };
}

test.serial('Kubernetes: the Indexed Job command once per JOB_COMPLETION_INDEX (separate processes), then the merge Job, equals the unsharded run', async (t) => {
  t.timeout(600_000);
  await withTempDir(async (dir) => {
    const eval_ = await jobScript('eval-shards-job.yaml');
    const merge = await jobScript('eval-merge-job.yaml');
    // Every variable the commands read is declared in the manifest (or set by Kubernetes, or optional).
    const used = (script: string) => [...new Set([...script.matchAll(/\$\{?([A-Z_]+)/g)].map((m) => m[1]!))];
    for (const [job, known] of [[eval_, ['JOB_COMPLETION_INDEX']], [merge, []]] as const) {
      t.deepEqual(used(job.script).filter((v) => !job.env.includes(v) && !known.includes(v as never) && !['JOINTSHOT', 'EVAL_ARGS'].includes(v)), []);
    }
    t.true(eval_.env.includes('SHARDS'));
    const env = { ...(await setup(dir)), OUT: join(dir, 'out'), SHARDS: '2' };
    const reference = await whole(env, join(dir, 'out', 'whole'));
    await Promise.all([0, 1].map((k) => bash(['-c', eval_.script], { ...env, JOB_COMPLETION_INDEX: String(k) })));
    t.deepEqual(await Promise.all([1, 2].map(async (i) => (await results(join(dir, 'out', `shard-${i}`))).count)), [3, 4]);
    await bash(['-c', merge.script], { OUT: env.OUT, JOINTSHOT });
    await sameNumbers(t, join(dir, 'out', 'merged'), reference);
  });
});

import test from 'ava';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, UsageError } from '../../src/errors.js';
import type { SplitDescription } from '../../src/data/types.js';
import {
  canonicalJson,
  makeManifest,
  manifestHash,
  parseManifest,
  readManifest,
  serializeManifest,
  validateManifest,
  writeManifest,
  type EpisodeManifest,
} from '../../src/episodes/index.js';

const toy: SplitDescription = {
  dataset: 'toy',
  split: 'test',
  classes: [30, 30, 25, 40, 30, 20].map((count, i) => ({ name: `c${i}`, count })),
};
const settings = { ways: 3, shots: 2, queries: 4, count: 8, seed: 0 };
const manifest = makeManifest(toy, settings);

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'jointshot-manifest-'));
}

test('pinned hash: the toy manifest of seed 0 hashes to a known value', (t) => {
  t.is(manifest.sha256, '39f81fd43b066a2ee5c2fe3a94d50818f95db6f3b0b8a7531f332ae94839018d');
  t.is(manifestHash(manifest), manifest.sha256);
});

test('canonical JSON sorts keys, drops whitespace and refuses non-integers', (t) => {
  t.is(canonicalJson({ b: [1, { d: 'x', c: -2 }], a: 'é"' }), '{"a":"é\\"","b":[1,{"c":-2,"d":"x"}]}');
  t.throws(() => canonicalJson({ a: 0.5 }), { instanceOf: TypeError });
  t.throws(() => canonicalJson({ a: null }), { instanceOf: TypeError });
});

test('same seed -> byte-identical files; another seed -> another hash', async (t) => {
  const dir = await tempDir();
  try {
    const a = join(dir, 'a.json');
    const b = join(dir, 'sub', 'b.json');
    await writeManifest(a, makeManifest(toy, settings));
    await writeManifest(b, makeManifest(toy, settings));
    t.true((await readFile(a)).equals(await readFile(b)));
    t.not(makeManifest(toy, { ...settings, seed: 1 }).sha256, manifest.sha256);
    // Overwriting in place leaves no temp files behind.
    await writeManifest(a, manifest);
    t.deepEqual((await readdir(dir)).sort(), ['a.json', 'sub']);
    t.deepEqual(await readManifest(a, toy), manifest);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the file has one class and one episode per line and the hash ignores layout', (t) => {
  const text = serializeManifest(manifest);
  const lines = text.split('\n');
  t.is(lines.length, 1 + 10 + 1 + toy.classes.length + 1 + 1 + settings.count + 1 + 1 + 1);
  t.true(text.endsWith('}\n'));
  t.regex(lines[lines.indexOf('  "episodes": [') + 1]!, /^ {4}\{"classes":\[\d+,\d+,\d+\],"support":\[\[/);
  t.deepEqual(parseManifest(JSON.stringify(JSON.parse(text), null, 3), 'pretty.json'), manifest);
});

test('makeManifest refuses impossible requests before sampling', (t) => {
  t.throws(() => makeManifest(toy, { ...settings, count: 0 }), { instanceOf: UsageError, message: /--count must be a positive integer, found 0/ });
  t.throws(() => makeManifest(toy, { ...settings, seed: 0.5 }), { instanceOf: UsageError, message: /--seed must be an integer/ });
  t.throws(() => makeManifest(toy, { ...settings, shots: 25, queries: 6 }), {
    instanceOf: UsageError,
    message: /31 images per class, but only 1 of 6 classes have that many and 3-way episodes need 3: class 0 \('c0'\) has 30, class 1 \('c1'\) has 30, class 2 \('c2'\) has 25 and 2 more;/,
  });
});

type Json = Record<string, any>;
const clone = (): Json => JSON.parse(JSON.stringify(manifest));
const rehash = (m: Json): Json => ({ ...m, sha256: manifestHash(m as EpisodeManifest) });

// Each case edits a valid manifest; `rehash` recomputes the hash so the content check itself fires.
const broken: Array<[string, (m: Json) => unknown, RegExp, SplitDescription?]> = [
  ['not an object', () => [1, 2], /not an episode manifest \(expected a JSON object/],
  ['wrong format', (m) => ({ ...m, format: 'other' }), /format is "other", expected 'jointshot-episodes'/],
  ['wrong version', (m) => ({ ...m, version: 2 }), /manifest version 2 is not supported \(this jointshot reads version 1\)/],
  ['unknown field', (m) => ({ ...m, extra: 1 }), /manifest has unknown field 'extra'/],
  ['missing field', (m) => { delete m.seed; return m; }, /manifest is missing field 'seed'/],
  ['non-integer ways', (m) => ({ ...m, ways: '3' }), /field 'ways' must be a positive integer, found "3"/],
  ['unknown split', (m) => ({ ...m, split: 'dev' }), /field 'split' must be one of train, val, test, found "dev"/],
  ['malformed hash', (m) => ({ ...m, sha256: 'abc' }), /field 'sha256' must be 64 lower-case hex digits/],
  ['duplicate class name', (m) => { m.classes[1].name = 'c0'; return rehash(m); }, /class name 'c0' appears twice/],
  ['negative image count', (m) => { m.classes[1].count = -3; return rehash(m); }, /class 1 'count' must be a non-negative integer, found -3/],
  ['count does not match', (m) => { m.episodes.pop(); return rehash(m); }, /'count' says 8 episodes but 'episodes' holds 7/],
  ['wrong number of classes', (m) => { m.episodes[2].classes.pop(); return rehash(m); }, /episode 2 must list 3 classes, found \[/],
  ['unknown class', (m) => { m.episodes[1].classes[0] = 6; return rehash(m); }, /episode 1 names unknown class 6 \(the manifest lists classes 0\.\.5\)/],
  ['class used twice', (m) => { const e = m.episodes[0]; e.classes[1] = e.classes[0]; return rehash(m); }, /episode 0 uses class \d+ twice/],
  ['wrong number of support samples', (m) => { m.episodes[3].support[1].push(0); return rehash(m); }, /episode 3 class slot 1: 'support' must hold 2 image indices, found \[/],
  ['wrong number of query samples', (m) => { m.episodes[3].query[2].pop(); return rehash(m); }, /episode 3 class slot 2: 'query' must hold 4 image indices/],
  ['query lists missing', (m) => { m.episodes[4].query = m.episodes[4].query.slice(1); return rehash(m); }, /episode 4 'query' must hold 3 lists \(one per class\)/],
  ['index out of range', (m) => { m.episodes[5].query[0][3] = 999; return rehash(m); }, /episode 5 class 'c\d': query image index 999 out of range \(the class has \d+ images\)/],
  ['non-integer index', (m) => { m.episodes[5].support[0][0] = 1.5; return m; }, /support image index 1\.5 out of range/],
  ['duplicate support image', (m) => { const s = m.episodes[6].support[0]; s[1] = s[0]; return rehash(m); }, /episode 6 class 'c\d': image \d+ is used twice/],
  ['support and query overlap', (m) => { const e = m.episodes[7]; e.query[2][0] = e.support[2][1]; return rehash(m); }, /episode 7 class 'c\d': image \d+ is used twice \(support and query must be distinct and disjoint\)/],
  ['hand edit (hash mismatch)', (m) => { const q = m.episodes[0].query[0]; q[0] = [...Array(30).keys()].find((i) => !q.includes(i) && !m.episodes[0].support[0].includes(i)); return m; }, /sha256 mismatch: the file says [0-9a-f]{12}\.\.\. but its content hashes to [0-9a-f]{12}\.\.\./],
  ['other dataset', (m) => m, /manifest is for dataset 'toy', not 'other'/, { ...toy, dataset: 'other' }],
  ['other split', (m) => m, /manifest is for split 'test', not 'val'/, { ...toy, split: 'val' }],
  ['class count differs', (m) => m, /manifest lists 6 classes but toy\/test has 5/, { ...toy, classes: toy.classes.slice(0, 5) }],
  ['class name differs', (m) => m, /class 2 is 'c2' in the manifest but 'x2' in toy\/test/, { ...toy, classes: toy.classes.map((c, i) => (i === 2 ? { ...c, name: 'x2' } : c)) }],
  ['image count differs', (m) => m, /class 'c3' has 40 images in the manifest but 39 in toy\/test/, { ...toy, classes: toy.classes.map((c, i) => (i === 3 ? { ...c, count: 39 } : c)) }],
];

for (const [name, edit, message, description] of broken) {
  test(`validation: ${name} -> one-line DataError naming the file`, (t) => {
    const value = edit(clone());
    const error = t.throws(() => validateManifest(value, 'm.json', description), { instanceOf: DataError, message });
    t.true(error?.message.startsWith('m.json: '));
    t.false(error?.message.includes('\n'));
  });
}

test('validation: bad JSON and unreadable files are one-line DataErrors', async (t) => {
  t.throws(() => parseManifest('{"format": ', 'm.json'), { instanceOf: DataError, message: /^m\.json: not valid JSON \(/ });
  await t.throwsAsync(readManifest('/nonexistent/m.json'), { instanceOf: DataError, message: /^\/nonexistent\/m\.json: cannot read the manifest \(ENOENT\)$/ });
  const dir = await tempDir();
  try {
    const path = join(dir, 'edited.json');
    await writeFile(path, serializeManifest(manifest).replace('"seed": 0', '"seed": 1'));
    await t.throwsAsync(readManifest(path), { instanceOf: DataError, message: /edited\.json: sha256 mismatch/ });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

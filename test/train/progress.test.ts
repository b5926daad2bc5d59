import test from 'ava';
import { createProgress, formatDuration, type StepReport } from '../../src/train/index.js';

/** A fake stderr that records what is written. */
function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const stream = { isTTY, text: '', write(chunk: string) { stream.text += chunk; return true; } };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

const report = (step: number): StepReport => ({ step, totalSteps: 20, epoch: 1, epochs: 2, lr: 0.1, loss: 1.2345, accuracy: 0.5, imagesPerSecond: 42.04, etaSeconds: 125 });

test('durations read as h/m/s', (t) => {
  t.deepEqual([formatDuration(45), formatDuration(200), formatDuration(3725), formatDuration(Number.NaN)], ['45s', '3m20s', '1h02m', '?']);
});

test('non-TTY: a plain line every N steps and at the end; TTY: one bar redrawn in place', (t) => {
  const plain = fakeStream(false);
  const p = createProgress(plain, 10);
  for (let s = 1; s <= 20; s++) p.step(report(s));
  p.validation({ epoch: 1, accuracy: 41.5, ci95: 3.2, best: true });
  p.end();
  const lines = plain.text.trim().split('\n');
  t.is(lines.length, 3);
  t.is(lines[0], 'epoch 1/2 step 10/20 lr 0.10 loss 1.2345 acc 50.0% 42.0 img/s ETA 2m05s');
  t.is(lines[2], 'validation after epoch 1: 41.50% ± 3.20 (best so far)');
  t.false(plain.text.includes('\r'));
  const tty = fakeStream(true);
  const b = createProgress(tty, 10);
  b.step(report(5));
  b.step(report(20));
  b.end();
  t.is(tty.text.split('\r\x1b[K').length, 3, 'each step redraws the same line');
  t.true(tty.text.includes('[####################] epoch 1/2 step 20/20'));
  t.true(tty.text.endsWith('\n'));
});

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

test('non-TTY: a plain line every N steps and at the end; TTY: one status line redrawn in place', (t) => {
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
  t.is(tty.text.split('\r\x1b[K').length, 4, 'each step redraws the same line; the end clears it');
  t.true(tty.text.includes('step 20/20 (100%) ETA 2m05s loss 1.2345'));
  t.true(tty.text.endsWith('\r\x1b[K'), 'no stale status line is left');
});

test('TTY at 80 columns: every redraw fits in 79 cells, keeps the ETA, and never writes a newline', (t) => {
  const tty = Object.assign(fakeStream(true), { columns: 80 });
  const p = createProgress(tty, 10);
  const long: StepReport = { step: 123456, totalSteps: 480000, epoch: 12, epochs: 60, lr: 0.0012, loss: 1.23456, accuracy: 0.4567, imagesPerSecond: 1234.5, etaSeconds: 98765 };
  p.step(long);
  p.step({ ...long, step: 123457 });
  const redraws = tty.text.split('\r\x1b[K').filter(Boolean);
  t.is(redraws.length, 2);
  for (const line of redraws) {
    t.false(line.includes('\n'));
    t.true([...line].length <= 79, `${[...line].length} cells: ${line}`);
    t.regex(line, /^step 12345[67]\/480000 \(25%\) ETA 27h26m loss/);
  }
  p.note('checkpoint saved');
  t.true(tty.text.endsWith('\r\x1b[Kcheckpoint saved\n'), 'a note clears the status line first');
});

test('non-TTY: a line at least every everySeconds even between step multiples', async (t) => {
  const plain = fakeStream(false);
  const p = createProgress(plain, 1000, 0);
  p.step(report(1));
  p.step(report(2));
  t.is(plain.text.trim().split('\n').length, 2);
});

import test from 'ava';
import { createPhaseProgress, fitToWidth, formatDuration } from '../../src/util/status-line.js';

function fakeStream(isTTY: boolean, columns?: number): NodeJS.WriteStream & { text: string } {
  const stream = { isTTY, columns, text: '', write(chunk: string) { stream.text += chunk; return true; } };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

test('fitToWidth leaves one cell free and marks the cut', (t) => {
  t.is(fitToWidth('abc', 80), 'abc');
  t.is(fitToWidth('x'.repeat(100), 80), `${'x'.repeat(78)}…`);
  t.is([...fitToWidth('±'.repeat(100), 80)].length, 79);
  t.is(formatDuration(3725), '1h02m');
});

test('phase progress: ETA from the phase rate; at 80 columns one line redrawn; the finished phase stays', (t) => {
  let clock = 0;
  const tty = fakeStream(true, 80);
  const progress = createPhaseProgress(tty, { now: () => clock });
  clock = 0;
  progress('embed', 0, 400);
  clock = 10;
  progress('embed', 100, 400);
  t.true(tty.text.endsWith('embed 100/400 (25%, 10.0 s, ETA 30s)'));
  clock = 40;
  progress('embed', 400, 400);
  t.true(tty.text.endsWith('\r\x1b[Kembed 400/400 (100%, 40.0 s)\n'));
  t.is(tty.text.split('\n').length, 2, 'one permanent line for the phase');
  for (const redraw of tty.text.split('\r\x1b[K')) t.true([...redraw.replace('\n', '')].length <= 79);
});

test('phase progress without a terminal: plain lines every 10% with the ETA', (t) => {
  let clock = 0;
  const plain = fakeStream(false);
  const progress = createPhaseProgress(plain, { indent: '  ', now: () => clock });
  for (let done = 1; done <= 100; done++) {
    clock = done;
    progress('episodes', done, 100);
  }
  const lines = plain.text.trim().split('\n');
  t.is(lines.length, 11);
  t.is(lines[1], '  episodes 10/100 (10%, 9.0 s, ETA 1m21s)');
  t.is(lines[10], '  episodes 100/100 (100%, 99.0 s)');
  t.false(plain.text.includes('\r'));
});

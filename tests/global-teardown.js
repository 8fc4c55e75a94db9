import { rmSync } from 'node:fs';

/** How long after the last test Node may stay up before the watchdog names what keeps it alive. */
const EXIT_GRACE_MS = 20_000;

/**
 * Removes this run's scratch folders (rendered lessons add up to hundreds of MB), then arms a
 * watchdog: if something a test started outlives the run (a socket, a child, a timer), Jest would
 * wait for it forever and CI would only see a timeout. The watchdog says what it is and ends the
 * process with Jest's own exit code, so the results still count and the leak gets fixed.
 */
export default function globalTeardown() {
  if (process.env.VT_TEST_TMP && !process.env.VT_KEEP_TEST_FILES) {
    rmSync(process.env.VT_TEST_TMP, { recursive: true, force: true });
  }
  setTimeout(() => {
    const held = process._getActiveHandles().map(describeHandle);
    process.stderr.write(
      `\nwatchdog: the tests finished ${EXIT_GRACE_MS / 1000} s ago but Node is still held open by:\n` +
        held.map((h) => `  - ${h}\n`).join('') +
        `  (all resources: ${process.getActiveResourcesInfo().join(', ')})\n` +
        'watchdog: exiting with the test run’s own status; please close these in the test or the code under test.\n',
    );
    process.exit();
  }, EXIT_GRACE_MS).unref();
}

function describeHandle(h) {
  const kind = h?.constructor?.name ?? typeof h;
  if (kind === 'Socket' || kind === 'TLSSocket') {
    return `${kind} ${h.localAddress ?? ''}:${h.localPort ?? ''} -> ${h.remoteAddress ?? '(pipe)'}:${h.remotePort ?? ''}`;
  }
  if (kind === 'Server') return `Server listening on ${JSON.stringify(h.address())}`;
  if (kind === 'ChildProcess') return `ChildProcess pid ${h.pid}: ${h.spawnargs?.join(' ').slice(0, 200)}`;
  if (kind === 'Timeout') return `Timeout ${h._idleTimeout} ms: ${String(h._onTimeout).slice(0, 200)}`;
  return kind;
}

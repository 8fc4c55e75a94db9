/**
 * Waits until `ok` holds, checking every 100 ms, for at most `ms` (generous: a loaded machine is
 * slow, and a condition that does not come is a failure worth its name, `what`).
 */
export async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * TEST ONLY switches, read from the environment, that make a race of the cluster happen on cue so an
 * e2e test can check what follows. Each is `<bundle name>=<ms>[,<bundle name>=<ms>…]` and acts only
 * on bundles of those names; unset in production, where nothing is ever delayed:
 * - TRAINYARD_TEST_FANOUT_PAUSE: the master waits `ms` after sending rank 0 before the other ranks
 *   go out (to kill the master, or a node, mid-fan-out);
 * - TRAINYARD_TEST_LEASE_LAPSE: once every rank went out, the master skips its lease renewals for
 *   `ms` and lets its lease lapse before it records the outcome (a renewal run late under load);
 * - TRAINYARD_TEST_HOLD_SETTLED: a node applies the `submitted` entry of such a bundle from the
 *   cluster stream `ms` late (a replica that lags).
 */
export type TestSwitch =
  'TRAINYARD_TEST_FANOUT_PAUSE' | 'TRAINYARD_TEST_LEASE_LAPSE' | 'TRAINYARD_TEST_HOLD_SETTLED';

/** The `ms` the switch gives bundle `name`, or 0. */
export function testSwitchMs(variable: TestSwitch, name: string | null | undefined): number {
  const spec = process.env[variable];
  if (!spec || name === null || name === undefined) return 0;
  for (const pair of spec.split(',')) {
    const at = pair.lastIndexOf('=');
    if (pair.slice(0, at) === name) return Number(pair.slice(at + 1)) || 0;
  }
  return 0;
}

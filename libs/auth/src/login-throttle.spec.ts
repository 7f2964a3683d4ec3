import { DomainError } from '@trainyard/core';
import { LoginThrottle, throttleKey } from './login-throttle';

/** A check that stays pending until the test settles it. */
function deferredCheck() {
  let settle!: (verdict: boolean) => void;
  const promise = new Promise<boolean>((resolve) => (settle = resolve));
  return { check: () => promise, settle };
}

describe(LoginThrottle.name, () => {
  describe(throttleKey.name, () => {
    it.each([
      ['127.0.0.1', 'loopback'],
      ['127.0.0.2', 'loopback'],
      ['127.255.3.9', 'loopback'],
      ['::1', 'loopback'],
      ['0:0:0:0:0:0:0:1', 'loopback'],
      ['::ffff:127.0.0.5', 'loopback'],
      ['::FFFF:127.1.2.3', 'loopback'],
      ['10.0.0.1', '10.0.0.1'],
      ['::ffff:10.0.0.1', '10.0.0.1'],
      ['128.0.0.1', '128.0.0.1'],
      ['2001:db8:1:2:aaaa::1', '2001:db8:1:2::/64'],
      ['2001:db8:1:2:bbbb:cccc:dddd:eeee', '2001:db8:1:2::/64'],
      ['2001:db8:1:3::1', '2001:db8:1:3::/64'],
      ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ])('%s is charged to %s', (address, key) => {
      expect(throttleKey(address)).toBe(key);
    });
  });

  it('reserves each guess before checking it: 30 parallel wrong guesses, 5 checked, 25 refused at once', async () => {
    const sut = new LoginThrottle(5, 60_000, 100, 100);
    const gate = deferredCheck();
    let checked = 0;
    const attempts = Array.from({ length: 30 }, (_, i) =>
      sut.attempt(
        `127.0.0.${i + 1}`,
        () => {
          checked += 1;
          return gate.check();
        },
        1_000,
      ),
    );
    const settled = Promise.allSettled(attempts);
    await new Promise((resolve) => setImmediate(resolve));
    expect(checked).toBe(5);
    gate.settle(false);
    const results = await settled;
    expect(results.filter((r) => r.status === 'fulfilled' && r.value === false)).toHaveLength(5);
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(refused).toHaveLength(25);
    for (const err of refused) {
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ code: 'TOO_MANY_LOGIN_ATTEMPTS', details: { retry_after_seconds: 60 } });
    }
    // Spent for the window, whichever loopback address asks; another client is unaffected.
    await expect(sut.attempt('::1', () => true, 2_000)).rejects.toMatchObject({
      code: 'TOO_MANY_LOGIN_ATTEMPTS',
    });
    await expect(sut.attempt('10.0.0.1', () => true, 2_000)).resolves.toBe(true);
    // A new window hears the client again.
    await expect(sut.attempt('127.0.0.1', () => false, 61_000)).resolves.toBe(false);
  });

  it('runs at most maxConcurrent checks at once, queues a few, refuses beyond the queue', async () => {
    const sut = new LoginThrottle(100, 60_000, 2, 3);
    let running = 0;
    let peak = 0;
    const gates = Array.from({ length: 6 }, () => deferredCheck());
    const attempts = gates.map((gate, i) =>
      sut.attempt(`10.0.0.${i + 1}`, async () => {
        running += 1;
        peak = Math.max(peak, running);
        const verdict = await gate.check();
        running -= 1;
        return verdict;
      }),
    );
    const settled = Promise.allSettled(attempts);
    await new Promise((resolve) => setImmediate(resolve));
    expect(running).toBe(2);
    for (const gate of gates) gate.settle(true);
    const results = await settled;
    expect(peak).toBe(2);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
    ]);
  });

  it('recordFailure counts cheap guesses and refuses over budget; a success forgives', async () => {
    const sut = new LoginThrottle(2, 60_000);
    sut.recordFailure('127.0.0.1', 1_000);
    sut.recordFailure('127.0.0.2', 1_000);
    expect(() => sut.recordFailure('127.0.0.3', 1_000)).toThrow(DomainError);
    sut.recordSuccess('::1');
    await expect(sut.attempt('127.0.0.1', () => false, 1_000)).resolves.toBe(false);
  });
});

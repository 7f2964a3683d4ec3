import { allAtOnce } from './all-at-once';

describe('allAtOnce', () => {
  const after = <R>(ms: number, value: R) =>
    new Promise<R>((resolve) => setTimeout(() => resolve(value), ms));

  it('starts every item before any ends, and answers in item order', async () => {
    const started: number[] = [];
    const results = await allAtOnce([30, 10, 20], (ms) => (started.push(ms), after(ms, ms * 2)));
    expect(started).toEqual([30, 10, 20]);
    expect(results).toEqual([60, 20, 40]);
  });

  it('rejects with the first failure in item order only once every item has settled', async () => {
    const ended: number[] = [];
    const run = allAtOnce([1, 2, 3], async (i) => {
      await after(i === 1 ? 40 : 5, i);
      ended.push(i);
      if (i !== 3) throw new Error(`refused ${i}`);
      return i;
    });
    await expect(run).rejects.toThrow('refused 1');
    expect(ended.sort()).toEqual([1, 2, 3]);
  });
});

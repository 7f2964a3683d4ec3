/**
 * Runs `work` for every item at once and waits for all of them: resolves with their results in
 * item order, or — once every one has settled — rejects with the first failure in item order. For
 * a bulk stop (an array's jobs, a GPU's): each stop waits up to 2 s for its processes to go, so one
 * after another an N-job array's last job ran ~2(N−1) s longer, and one refused stop left the rest
 * unattempted.
 */
export async function allAtOnce<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const outcomes = await Promise.allSettled(items.map((item) => work(item)));
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
  return outcomes.map((o) => (o as PromiseFulfilledResult<R>).value);
}

import type { Tx } from './database';

/**
 * Runs `work` under a savepoint of `tx`: its writes are kept when it resolves; when it throws they
 * are rolled back (the rest of the transaction stays) and `failed` is told why. Resolves with what
 * `work` returned, or null after a failure.
 */
export async function underSavepoint<T>(
  tx: Tx,
  work: () => Promise<T>,
  failed: (error: Error) => void,
): Promise<T | null> {
  await tx.query('SAVEPOINT partial');
  try {
    const result = await work();
    await tx.query('RELEASE partial');
    return result;
  } catch (err) {
    await tx.query('ROLLBACK TO partial');
    await tx.query('RELEASE partial');
    failed(err as Error);
    return null;
  }
}

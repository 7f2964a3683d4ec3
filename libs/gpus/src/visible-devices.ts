export interface VisibleDevicesResult {
  /** nvidia-smi indices the scheduler must not use. */
  excluded: Set<number>;
  warnings: string[];
}

const VAR = 'CUDA_VISIBLE_DEVICES';

/**
 * Reads the server's CUDA_VISIBLE_DEVICES (at start) as "the GPUs this server may schedule on",
 * interpreting it the way CUDA would: unset → every GPU; empty → none; otherwise the listed
 * indices and `GPU-<uuid>` tokens (a unique prefix is enough), read left to right up to the first
 * token CUDA would reject, which hides that token and everything after it.
 *
 * Indices are taken as nvidia-smi indices (PCI bus order), which match CUDA's ordinals only under
 * CUDA_DEVICE_ORDER=PCI_BUS_ID; UUID tokens are unambiguous.
 */
export function parseVisibleDevices(
  value: string | undefined,
  gpus: ReadonlyArray<{ index: number; uuid: string | null }>,
): VisibleDevicesResult {
  const all = gpus.map((gpu) => gpu.index);
  if (value === undefined) return { excluded: new Set(), warnings: [] };
  if (value.trim() === '') {
    return {
      excluded: new Set(all),
      warnings: [`${VAR} is set but empty: no GPU may be scheduled`],
    };
  }

  const visible = new Set<number>();
  const warnings: string[] = [];
  const tokens = value.split(',').map((token) => token.trim());

  for (const [position, token] of tokens.entries()) {
    const resolved = resolve(token, gpus);
    if (resolved.kind === 'ignored') {
      warnings.push(`${VAR}: ${resolved.reason}`);
      continue;
    }
    if (resolved.kind === 'invalid') {
      const rest = tokens.slice(position + 1).filter((t) => t !== '');
      const skipped = rest.length > 0 ? `; the entries after it (${rest.join(',')}) are ignored too` : '';
      warnings.push(`${VAR}: ${resolved.reason}. CUDA stops reading at the first invalid entry${skipped}`);
      break;
    }
    if (visible.has(resolved.index)) {
      warnings.push(`${VAR}: "${token}" names GPU ${resolved.index} again`);
      continue;
    }
    visible.add(resolved.index);
  }

  return { excluded: new Set(all.filter((index) => !visible.has(index))), warnings };
}

type Resolution =
  { kind: 'gpu'; index: number } | { kind: 'invalid'; reason: string } | { kind: 'ignored'; reason: string };

function resolve(token: string, gpus: ReadonlyArray<{ index: number; uuid: string | null }>): Resolution {
  if (token === '') return { kind: 'invalid', reason: 'empty entry' };

  if (/^\d+$/.test(token)) {
    const gpu = gpus.find((g) => g.index === Number(token));
    return gpu ? { kind: 'gpu', index: gpu.index } : { kind: 'invalid', reason: `no GPU has index ${token}` };
  }

  if (/^GPU-./i.test(token)) {
    const prefix = token.toLowerCase();
    const matches = gpus.filter((g) => g.uuid !== null && g.uuid.toLowerCase().startsWith(prefix));
    if (matches.length === 1) return { kind: 'gpu', index: matches[0].index };
    if (matches.length === 0)
      return { kind: 'invalid', reason: `no GPU has a UUID starting with "${token}"` };
    const which = matches.map((g) => g.index).join(', ');
    return { kind: 'invalid', reason: `"${token}" is ambiguous: it prefixes the UUIDs of GPUs ${which}` };
  }

  // CUDA accepts MIG instances, but the scheduler places whole GPUs and cannot map an instance to
  // one; skipping it (instead of stopping) keeps the later entries as CUDA would.
  if (/^MIG-/i.test(token)) {
    return { kind: 'ignored', reason: `"${token}" is a MIG instance; the scheduler only places whole GPUs` };
  }

  return { kind: 'invalid', reason: `"${token}" is neither a GPU index nor a GPU UUID` };
}

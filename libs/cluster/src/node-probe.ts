import { execFile } from 'node:child_process';
import { cpus, hostname, networkInterfaces, totalmem } from 'node:os';

/** One address of a network interface, as peers pick `NCCL_SOCKET_IFNAME` from it. */
export interface InterfaceAddress {
  name: string;
  family: 'IPv4' | 'IPv6';
  address: string;
  /** `address/prefix`, e.g. `192.168.1.27/24`. */
  cidr: string;
  internal: boolean;
}

/** Versions the nodes of a training run must agree on; null = not installed / not detected. */
export interface NodeVersions {
  trainyard: string;
  node: string;
  torch: string | null;
  cuda: string | null;
  nccl: string | null;
}

/** Interface name prefixes that are host-local bridges and tunnels, not the LAN (as the original). */
const VIRTUAL = /^(docker|br-|veth|virbr|tun|tap|wg|cni|flannel|cali|lxc|lxd)/;

export function interfaceTable(): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family !== 'IPv4' && a.family !== 'IPv6') continue;
      if (!a.cidr) continue;
      out.push({ name, family: a.family, address: a.address, cidr: a.cidr, internal: a.internal });
    }
  }
  return out;
}

/**
 * What peers should dial: `--cluster-address` entries when given, else this host's non-internal IPv4
 * addresses on non-virtual interfaces, else 127.0.0.1 (a single-host cluster still works).
 */
export function advertisedAddresses(
  configured: readonly string[],
  table: readonly InterfaceAddress[],
): string[] {
  if (configured.length > 0) return [...configured];
  const lan = table
    .filter((a) => a.family === 'IPv4' && !a.internal && !VIRTUAL.test(a.name))
    .map((a) => a.address);
  return lan.length > 0 ? [...new Set(lan)] : ['127.0.0.1'];
}

export function cpuRamSummary(): { cpu_count: number; cpu_model: string | null; ram_total_bytes: number } {
  const list = cpus();
  return { cpu_count: list.length, cpu_model: list[0]?.model ?? null, ram_total_bytes: totalmem() };
}

export { hostname };

const TORCH_PROBE =
  'import json, torch\n' +
  'nccl = None\n' +
  'try:\n' +
  "    nccl = '.'.join(map(str, torch.cuda.nccl.version()))\n" +
  'except Exception:\n' +
  '    pass\n' +
  "print(json.dumps({'torch': torch.__version__, 'cuda': torch.version.cuda, 'nccl': nccl}))\n";

/**
 * torch / CUDA / NCCL versions from `python3`, or nulls when python3 or torch is missing or the probe
 * takes longer than `timeoutMs` (importing torch can take seconds). Never rejects.
 */
export function probeTorch(
  timeoutMs = 20_000,
  python = 'python3',
): Promise<Pick<NodeVersions, 'torch' | 'cuda' | 'nccl'>> {
  const none = { torch: null, cuda: null, nccl: null };
  return new Promise((resolve) => {
    execFile(python, ['-c', TORCH_PROBE], { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout) => {
      if (err) return resolve(none);
      try {
        const parsed = JSON.parse(String(stdout).trim().split('\n').pop() ?? '') as Record<string, unknown>;
        const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
        resolve({ torch: str(parsed.torch), cuda: str(parsed.cuda), nccl: str(parsed.nccl) });
      } catch {
        resolve(none);
      }
    });
  });
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cgroupDirectory,
  parentCgroupName,
  parseCgroup2Mounts,
  parseOwnCgroup,
  setUpProcessTracking,
} from './cgroup';

// Recorded /proc/self/mountinfo and /proc/self/cgroup texts.
const HYBRID_MOUNTINFO = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');
const HYBRID_CGROUP = ['9:name=systemd:/', '8:pids:/', '4:memory:/process_api/79291029', '0::/', ''].join(
  '\n',
);
// systemd host, pure cgroup v2 (shared:N is an optional field before the dash).
const UNIFIED_MOUNTINFO =
  '35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n';
const UNIFIED_CGROUP = '0::/user.slice/user-1000.slice/session-3.scope\n';
// A container: cgroup2 mounted read-only, the server in the namespace's root.
const CONTAINER_MOUNTINFO =
  '812 803 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup ro,nsdelegate\n';
// A bind mount of a sub-cgroup, with a space escaped in the mount point.
const BIND_MOUNTINFO = '90 80 0:30 /docker/abc /mnt/my\\040cg rw,relatime - cgroup2 cgroup2 rw\n';
const V1_ONLY_MOUNTINFO = '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n';

describe('cgroup parsing (recorded /proc text)', () => {
  it('finds the cgroup2 mount of a hybrid host, and none among v1 hierarchies', () => {
    expect(parseCgroup2Mounts(HYBRID_MOUNTINFO)).toEqual([
      { mountPoint: '/sys/fs/cgroup/unified', root: '/', writable: true },
    ]);
    expect(parseCgroup2Mounts(V1_ONLY_MOUNTINFO)).toEqual([]);
  });

  it('reads optional fields, read-only mounts and escaped paths', () => {
    expect(parseCgroup2Mounts(UNIFIED_MOUNTINFO)).toEqual([
      { mountPoint: '/sys/fs/cgroup', root: '/', writable: true },
    ]);
    expect(parseCgroup2Mounts(CONTAINER_MOUNTINFO)[0].writable).toBe(false);
    expect(parseCgroup2Mounts(BIND_MOUNTINFO)).toEqual([
      { mountPoint: '/mnt/my cg', root: '/docker/abc', writable: true },
    ]);
  });

  it("takes the server's own cgroup from the 0:: line only", () => {
    expect(parseOwnCgroup(HYBRID_CGROUP)).toBe('/');
    expect(parseOwnCgroup(UNIFIED_CGROUP)).toBe('/user.slice/user-1000.slice/session-3.scope');
    expect(parseOwnCgroup('4:memory:/x\n1:cpu:/\n')).toBeNull();
  });

  it('maps a cgroup path to its directory under a mount, and refuses one outside it', () => {
    const [unified] = parseCgroup2Mounts(UNIFIED_MOUNTINFO);
    expect(cgroupDirectory(unified, '/user.slice/a.scope')).toBe('/sys/fs/cgroup/user.slice/a.scope');
    const [bind] = parseCgroup2Mounts(BIND_MOUNTINFO);
    expect(cgroupDirectory(bind, '/docker/abc/inner')).toBe('/mnt/my cg/inner');
    expect(cgroupDirectory(bind, '/docker/abcd')).toBeNull();
  });

  it('two state directories get two parent cgroups', () => {
    expect(parentCgroupName('/home/a/.trainyard')).toMatch(/^trainyard-[0-9a-f]{12}$/);
    expect(parentCgroupName('/home/a/.trainyard')).not.toBe(parentCgroupName('/home/b/.trainyard'));
  });
});

describe('setUpProcessTracking falls back to the tag, with the reason', () => {
  const setup = (mountinfo: string, selfCgroup = '0::/\n', setting: string | null = null) =>
    setUpProcessTracking({ setting, stateDir: '/state', mountinfo, selfCgroup });

  it('says why for each host it cannot use', () => {
    expect(setup(V1_ONLY_MOUNTINFO)).toEqual({ mode: 'tag', reason: 'no cgroup2 mount' });
    expect(setup(CONTAINER_MOUNTINFO)).toEqual({ mode: 'tag', reason: 'the cgroup2 mount is read-only' });
    expect(setup(HYBRID_MOUNTINFO, '4:memory:/x\n')).toMatchObject({ mode: 'tag', reason: /no 0:: line/ });
    expect(setup(BIND_MOUNTINFO, '0::/elsewhere\n')).toMatchObject({
      mode: 'tag',
      reason: /outside the mount/,
    });
    expect(setup(HYBRID_MOUNTINFO, '0::/', 'off')).toMatchObject({
      mode: 'tag',
      reason: /--cgroup-root off/,
    });
  });

  it('refuses a directory that is not a cgroup, and one where the parent it makes is not a cgroup', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-'));
    try {
      expect(setup('', '', dir)).toMatchObject({ mode: 'tag', reason: /is not a cgroup v2 directory/ });
      // Looks like a cgroup, but a plain directory made in it gets no cgroup.procs: not cgroupfs.
      writeFileSync(join(dir, 'cgroup.procs'), '');
      expect(setup('', '', dir)).toMatchObject({ mode: 'tag', reason: /is not a cgroup$/ });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { connect, createServer, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { lookup } from 'node:dns/promises';
import { hostname, networkInterfaces } from 'node:os';
import { canonicalIp, isLoopback, localTargets, resolveLocalTargets } from './local-address';

describe(canonicalIp.name, () => {
  it('writes every spelling of an address one way, and leaves names alone', () => {
    expect(canonicalIp('127.1')).toBe('127.0.0.1');
    expect(canonicalIp('2130706433')).toBe('127.0.0.1');
    expect(canonicalIp('0x7f.0.0.1')).toBe('127.0.0.1');
    expect(canonicalIp('[::ffff:127.0.0.1]')).toBe('127.0.0.1');
    expect(canonicalIp('::ffff:7f00:2')).toBe('127.0.0.2');
    expect(canonicalIp('[0:0:0:0:0:0:0:1]')).toBe('::1');
    expect(canonicalIp('[::ffff:0.0.0.0]')).toBe('0.0.0.0');
    expect(canonicalIp('FE80::1')).toBe('fe80::1');
    expect(canonicalIp('localhost')).toBeNull();
    expect(canonicalIp('example.com')).toBeNull();
    expect(canonicalIp('not a host')).toBeNull();
  });
});

describe(isLoopback.name, () => {
  it('is true for localhost, 127.0.0.0/8 and ::1 however they are written, and nothing else', () => {
    for (const host of [
      'localhost',
      'LOCALHOST',
      '127.0.0.1',
      '127.1',
      '127.255.0.3',
      '::1',
      '[::1]',
      '[::ffff:127.0.0.1]',
      '::ffff:7f00:1',
    ])
      expect({ host, loopback: isLoopback(host) }).toEqual({ host, loopback: true });
    for (const host of [
      '0.0.0.0',
      '::',
      '10.0.0.1',
      '128.0.0.1',
      '::127.0.0.1',
      'example.com',
      '127.0.0.1.nip.io',
    ])
      expect({ host, loopback: isLoopback(host) }).toEqual({ host, loopback: false });
  });
});

describe(localTargets.name, () => {
  it('says where on this machine a connection lands: the unspecified address reaches loopback', () => {
    expect(localTargets('localhost')).toEqual(['127.0.0.1', '::1']);
    expect(localTargets('0.0.0.0')).toEqual(['127.0.0.1']);
    expect(localTargets('0')).toEqual(['127.0.0.1']);
    expect(localTargets('[::]')).toEqual(['::1']);
    expect(localTargets('[::ffff:0.0.0.0]')).toEqual(['127.0.0.1']);
    expect(localTargets('[::ffff:127.0.0.1]')).toEqual(['127.0.0.1']);
    expect(localTargets('192.0.2.1')).toEqual([]); // TEST-NET-1: never this machine's
    expect(localTargets('example.com')).toEqual([]); // names: resolveLocalTargets
  });

  it("counts this machine's own interface addresses", () => {
    const own = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!own) return; // a machine with loopback alone has nothing to check here
    expect(localTargets(own.address)).toEqual([own.address]);
  });

  it('names where a real connection to each spelling lands', async () => {
    let accepted = 0;
    const server = createServer((socket) => {
      accepted++;
      socket.destroy();
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      for (const host of ['0.0.0.0', '127.1', '::ffff:7f00:1']) {
        const before = accepted;
        const socket = connect({ host, port });
        await once(socket, 'connect');
        socket.destroy();
        await waitUntil(() => accepted > before);
        expect({ host, targets: localTargets(host) }).toEqual({ host, targets: ['127.0.0.1'] });
      }
    } finally {
      server.close();
    }
  });
});

async function waitUntil(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe(resolveLocalTargets.name, () => {
  it("resolves a name as a connection would (/etc/hosts first) and keeps only this machine's addresses", async () => {
    await expect(resolveLocalTargets('localhost')).resolves.toEqual(['127.0.0.1', '::1']);
    await expect(resolveLocalTargets('[::ffff:127.0.0.1]')).resolves.toEqual(['127.0.0.1']);
    await expect(resolveLocalTargets('no-such-host.invalid')).resolves.toEqual([]);
  });

  it("finds this machine's own name local when it resolves (Debian maps it to 127.0.1.1 in /etc/hosts)", async () => {
    const addresses = await lookup(hostname(), { all: true }).catch(() => []);
    if (!addresses.length) return; // a host whose name does not resolve has nothing to check here
    expect((await resolveLocalTargets(hostname())).length).toBeGreaterThan(0);
  });
});

import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { findSocketHolder, holderAmong, listenersReachedBy, parseTcpListeners } from './listeners';
import { localTargets } from '../net/local-address';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 133 1 0 100 0 0 10 0
   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1001        0 159116 1 0 100 0 0 10 0
   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1001        0 159200 1 0 100 0 0 10 0
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0 100 0 0 10 0
   1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 778 1 0 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 779 1 0 100 0 0 10 0
`;

describe('parseTcpListeners', () => {
  it('reads LISTEN sockets only (address, port, uid, inode), filtered by port', () => {
    expect(parseTcpListeners(TCP)).toEqual([
      { address: '0.0.0.0', port: 2024, uid: 0, inode: '133' },
      { address: '127.0.0.1', port: 8080, uid: 1001, inode: '159116' },
    ]);
    expect(parseTcpListeners(TCP, 8080).map((l) => l.inode)).toEqual(['159116']);
    expect(parseTcpListeners(TCP6, 8080).map((l) => l.address)).toEqual(['::', '::1', '::ffff:127.0.0.1']);
    expect(parseTcpListeners('', 8080)).toEqual([]);
  });
});

describe('listenersReachedBy / socket holders (real sockets)', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('finds the socket a connection to the host may land on, and the process holding it', () => {
    const [listener, ...rest] = listenersReachedBy(['127.0.0.1'], port);
    expect(rest).toEqual([]);
    expect(listener).toMatchObject({ address: '127.0.0.1', port });
    // Every spelling of a host a connection there lands on this socket from finds it.
    for (const host of [
      'localhost',
      '127.1',
      '2130706433',
      '[::ffff:127.0.0.1]',
      '::ffff:7f00:1',
      '0.0.0.0',
      '0',
    ])
      expect({ host, found: listenersReachedBy(localTargets(host), port) }).toEqual({
        host,
        found: [listener],
      });
    expect(listenersReachedBy(['::1'], port)).toEqual([]);
    expect(listenersReachedBy(['127.0.0.2'], port)).toEqual([]);
    expect(holderAmong([process.pid], listener.inode)).toBe(process.pid);
    expect(holderAmong([], listener.inode)).toBeNull();
    expect(findSocketHolder(listener.inode)).toBe(process.pid);
  });
});

import { checkRequestSource, HostPolicy, originMatchesHost, parseHost } from './request-source';

describe(parseHost.name, () => {
  it.each([
    ['localhost:8765', { name: 'localhost', port: '8765' }],
    ['LOCALHOST', { name: 'localhost', port: null }],
    ['[::1]:80', { name: '[::1]', port: '80' }],
    ['example.org.', { name: 'example.org', port: null }],
  ])('%s', (value, expected) => expect(parseHost(value)).toEqual(expected));

  it.each(['', 'a b', 'evil.example/x', 'user@host', 'host:port', 'http://x'])('refuses %j', (value) =>
    expect(parseHost(value)).toBeNull(),
  );
});

describe(HostPolicy.name, () => {
  const loopback = new HostPolicy({ host: '127.0.0.1', allowed_host: ['lab.example', 'proxy.example:8443'] });

  it.each([
    'localhost',
    'localhost:1',
    '127.0.0.1:8765',
    '127.9.9.9',
    '[::1]',
    '[::1]:8765',
    'lab.example:99',
    'proxy.example:8443',
  ])('allows %s', (host) => expect(loopback.allows(host)).toBe(true));

  it.each([
    undefined,
    '',
    'evil.example',
    'evil.example:8765',
    'proxy.example',
    'proxy.example:443',
    'lab.example.evil',
    '0.0.0.0',
    '10.0.0.1',
  ])('refuses %s', (host) => expect(loopback.allows(host)).toBe(false));

  it('allows the bind address, and names added by the caller (cluster addresses)', () => {
    const policy = new HostPolicy({ host: '10.1.2.3', allowed_host: [] }, ['node-b.lab:8765']);
    expect(policy.allows('10.1.2.3:8765')).toBe(true);
    expect(policy.allows('node-b.lab:8765')).toBe(true);
    expect(policy.allows('node-b.lab:9999')).toBe(false);
    expect(policy.allows('10.1.2.4')).toBe(false);
  });

  it('answers the same for a name asked again, and after a flood of other names', () => {
    const policy = new HostPolicy({ host: '127.0.0.1', allowed_host: ['lab.example'] });
    for (let i = 0; i < 500; i++) expect(policy.allows(`rebind-${i}.evil.example`)).toBe(false);
    for (const [host, allowed] of [
      ['lab.example:8765', true],
      ['evil.example', false],
      ['localhost:1', true],
    ] as const) {
      expect(policy.allows(host)).toBe(allowed);
      expect(policy.allows(host)).toBe(allowed);
    }
    expect(policy.allows('rebind-3.evil.example')).toBe(false);
  });
});

describe(checkRequestSource.name, () => {
  const hosts = new HostPolicy({ host: '127.0.0.1', allowed_host: [] });
  const own = { host: '127.0.0.1:8765' };

  it('refuses a foreign Host with 421 naming it', () => {
    expect(checkRequestSource({ host: 'evil.example' }, false, hosts)).toMatchObject({
      status: 421,
      code: 'HOST_NOT_ALLOWED',
      message: expect.stringContaining('"evil.example"'),
    });
  });

  it('refuses more than one Host header, whatever the first says', () => {
    const raw = ['Host', '127.0.0.1:8765', 'Accept', '*/*', 'host', 'evil.example'];
    expect(checkRequestSource(own, false, hosts, raw)).toMatchObject({
      status: 400,
      code: 'HOST_NOT_ALLOWED',
    });
    expect(checkRequestSource(own, false, hosts, raw.slice(0, 4))).toBeNull();
  });

  it('refuses a foreign or opaque Origin on changes only', () => {
    for (const origin of [
      'http://127.0.0.1:3000',
      'http://127.0.0.1',
      'null',
      'http://evil.example',
      'file://',
    ])
      expect(checkRequestSource({ ...own, origin }, true, hosts)).toMatchObject({
        status: 403,
        code: 'CSRF_ORIGIN_MISMATCH',
      });
    expect(checkRequestSource({ ...own, origin: 'http://127.0.0.1:3000' }, false, hosts)).toBeNull();
    expect(checkRequestSource({ ...own, origin: 'http://127.0.0.1:8765' }, true, hosts)).toBeNull();
    expect(checkRequestSource(own, true, hosts)).toBeNull();
  });

  it('compares Origin and Host: host and port, default ports normalised, any web scheme (TLS proxies)', () => {
    expect(originMatchesHost({ host: 'localhost:80', origin: 'http://localhost' })).toBe(true);
    expect(originMatchesHost({ host: 'LOCALHOST:8765', origin: 'http://localhost:8765' })).toBe(true);
    expect(originMatchesHost({ host: 'lab.example', origin: 'https://lab.example' })).toBe(true);
    expect(originMatchesHost({ host: 'lab.example:443', origin: 'https://lab.example' })).toBe(true);
    expect(originMatchesHost({ host: 'lab.example', origin: 'http://lab.example:8080' })).toBe(false);
    expect(originMatchesHost({ host: 'localhost:8765', origin: 'http://localhost:8766' })).toBe(false);
    expect(originMatchesHost({ host: 'localhost:8765', origin: 'ws://localhost:8765' })).toBe(false);
  });
});

import type { JobDto, JobTypeDto } from '@trainyard/sdk';
import { serviceLinkTitle, serviceUrl } from './service-url';

const type = (name: string, port: string | null) =>
  ({
    name,
    service_port_param: port,
    can_be_service: true,
    params: [],
    default_gpus: 0,
    description: '',
  }) as JobTypeDto;
const job = (job_type: string, job_params: Record<string, unknown>, status = 'running') =>
  ({ queue_id: 'q_1', job_type, job_params, status }) as unknown as JobDto;

describe('serviceUrl', () => {
  it('sends TensorBoard through the authenticated proxy', () => {
    expect(serviceUrl(job('tensorboard', { port: 6006 }), type('tensorboard', 'port'), 'gpu1')).toEqual({
      url: '/api/tb/q_1/',
      local: true,
    });
  });

  it('uses the bind address, or the console host for every interface', () => {
    const mk = type('mkdocs', 'port');
    expect(serviceUrl(job('mkdocs', { port: 8000, host: '0.0.0.0' }), mk, 'gpu1')).toEqual({
      url: 'http://gpu1:8000/',
      local: true,
    });
    expect(serviceUrl(job('mkdocs', { port: 8000, host: '127.0.0.1' }), mk, 'gpu1')).toEqual({
      url: 'http://127.0.0.1:8000/',
      local: false,
    });
    expect(serviceUrl(job('mkdocs', { port: 8000, host: '127.0.0.1' }), mk, 'localhost')?.local).toBe(true);
  });

  it("titles a link that opens only on the server machine so (the job pane's Open ↗, the sidebar's ↗)", () => {
    expect(serviceLinkTitle({ url: 'http://127.0.0.1:8000/', local: false })).toBe(
      'http://127.0.0.1:8000/ listens on loopback: it opens only on the server machine',
    );
    expect(serviceLinkTitle({ url: '/api/tb/q_1/', local: true })).toBe('Open /api/tb/q_1/');
  });

  it('offers nothing for jobs without a port or not running', () => {
    expect(serviceUrl(job('command', { argv: ['x'] }), type('command', null), 'h')).toBeNull();
    expect(serviceUrl(job('mkdocs', { port: 8000 }, 'queued'), type('mkdocs', 'port'), 'h')).toBeNull();
  });
});

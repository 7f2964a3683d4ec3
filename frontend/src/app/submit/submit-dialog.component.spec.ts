import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { type Client, type JobTypeDto, TrainyardApiError } from '@trainyard/sdk';
import { API } from '../core/api';
import { SubmitLauncher } from '../core/submit-launcher';
import { ToastStore } from '../core/toast.store';
import { SubmitDialogComponent } from './submit-dialog.component';

const TYPES = [
  {
    name: 'command',
    description: 'Runs a command',
    default_gpus: 0,
    service_port_param: null,
    can_be_service: true,
    params: [{ name: 'argv', type: 'string_list', description: 'argv', required: true, min: 1 }],
  },
  {
    name: 'trainer',
    description: 'Trains',
    default_gpus: 2,
    service_port_param: null,
    can_be_service: false,
    params: [
      { name: 'mode', type: 'choice', description: 'mode', required: true, choices: ['fast', 'slow'] },
      { name: 'resume', type: 'boolean', description: 'resume', required: false, default: true },
      { name: 'epochs', type: 'integer', description: 'epochs', required: false, min: 1, default: 3 },
      { name: 'files', type: 'string_list', description: 'files', required: false },
      { name: 'vars', type: 'env_map', description: 'vars', required: false },
    ],
  },
] as unknown as JobTypeDto[];

describe(SubmitDialogComponent.name, () => {
  let client: { get: ReturnType<typeof vi.fn>; post: ReturnType<typeof vi.fn> };

  beforeAll(() => {
    // jsdom has <dialog> but not its modal API.
    HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
      this.open = true;
    };
    HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
      this.open = false;
    };
  });

  beforeEach(() => {
    localStorage.clear();
    client = {
      get: vi.fn(async ({ url }: { url: string }) => {
        if (url === '/api/job-types') return { data: TYPES };
        throw new Error(`unexpected GET ${url}`);
      }),
      post: vi.fn(),
    };
    TestBed.configureTestingModule({
      providers: [provideRouter([]), { provide: API, useValue: client as unknown as Client }],
    });
  });

  async function open() {
    const fixture = TestBed.createComponent(SubmitDialogComponent);
    TestBed.inject(SubmitLauncher).show();
    fixture.detectChanges();
    // Opening loads the types, then picks one: let both settle.
    await vi.waitFor(() => expect(client.get).toHaveBeenCalled());
    for (let i = 0; i < 3; i++) {
      await fixture.whenStable();
      fixture.detectChanges();
    }
    const root = fixture.nativeElement as HTMLElement;
    const q = <T extends Element>(selector: string) => root.querySelector<T>(selector)!;
    return { fixture, root, q };
  }

  function typeInto(el: HTMLInputElement | HTMLTextAreaElement, value: string) {
    el.value = value;
    el.dispatchEvent(new Event('input'));
  }

  async function choose(ctx: Awaited<ReturnType<typeof open>>, type: string) {
    const select = ctx.q<HTMLSelectElement>('#job-type');
    select.value = type;
    select.dispatchEvent(new Event('change'));
    ctx.fixture.detectChanges();
    await ctx.fixture.whenStable();
  }

  async function submit(ctx: Awaited<ReturnType<typeof open>>) {
    ctx.q<HTMLFormElement>('form').dispatchEvent(new Event('submit', { cancelable: true }));
    await ctx.fixture.whenStable();
    ctx.fixture.detectChanges();
  }

  it('opens on the command type when nothing is remembered', async () => {
    const ctx = await open();
    expect(ctx.q<HTMLSelectElement>('#job-type').value).toBe('command');
    expect(ctx.q('#param-argv').tagName).toBe('TEXTAREA');
    expect(ctx.q<HTMLInputElement>('#submit-gpus').value).toBe('0');
  });

  it('builds one control per parameter kind, with the defaults filled in', async () => {
    const ctx = await open();
    await choose(ctx, 'trainer');

    const mode = ctx.q<HTMLSelectElement>('#param-mode');
    expect(mode.tagName).toBe('SELECT');
    expect([...mode.options].map((o) => o.value)).toEqual(['fast', 'slow']); // required: no "(default)"
    expect(mode.value).toBe('fast');
    const resume = ctx.q<HTMLInputElement>('#param-resume');
    expect(resume.type).toBe('checkbox');
    expect(resume.checked).toBe(true);
    const epochs = ctx.q<HTMLInputElement>('#param-epochs');
    // Text, not type=number: the form must see "e" to say it is wrong (see the next test).
    expect(epochs.type).toBe('text');
    expect(epochs.getAttribute('inputmode')).toBe('numeric');
    expect(epochs.value).toBe('3');
    expect(ctx.q('#param-files').tagName).toBe('TEXTAREA');
    expect(ctx.q('#param-vars').tagName).toBe('TEXTAREA');
    expect(ctx.q<HTMLInputElement>('#submit-gpus').value).toBe('2');
    expect(ctx.q('label[for="param-mode"]').textContent).toContain('mode *');
  });

  it('stops bad input before it reaches the server', async () => {
    const ctx = await open();
    await choose(ctx, 'trainer');
    typeInto(ctx.q('#param-vars'), 'NOT A PAIR');
    typeInto(ctx.q('#param-epochs'), '0');
    ctx.fixture.detectChanges();

    await submit(ctx);

    expect(client.post).not.toHaveBeenCalled();
    expect(ctx.q('#param-vars-hint').textContent?.trim()).toBe('“NOT A PAIR” is not KEY=VALUE.');
    expect(ctx.q('#param-vars').getAttribute('aria-invalid')).toBe('true');
    expect(ctx.q('#param-epochs-hint').textContent?.trim()).toBe('At least 1.');

    // Editing a field clears its error.
    typeInto(ctx.q('#param-vars'), 'A=1');
    ctx.fixture.detectChanges();
    expect(ctx.q('#param-vars-hint').textContent?.trim()).toBe('vars');
    expect(ctx.q('#param-vars').getAttribute('aria-invalid')).toBe('false');
  });

  it('says under each numeric field that text is not a number instead of sending a default', async () => {
    const ctx = await open();
    await choose(ctx, 'trainer');
    typeInto(ctx.q('#submit-priority'), 'e');
    typeInto(ctx.q('#submit-gpus'), 'two');
    typeInto(ctx.q('#param-epochs'), '3e');
    ctx.fixture.detectChanges();

    await submit(ctx);

    expect(client.post).not.toHaveBeenCalled();
    expect(ctx.q('#submit-priority-hint').textContent?.trim()).toBe(
      'A whole number from -1,000,000 to 1,000,000 (higher runs first).',
    );
    expect(ctx.q('#submit-priority').getAttribute('aria-invalid')).toBe('true');
    expect(ctx.q('#submit-gpus-hint').textContent?.trim()).toBe('A whole number, 0 or more.');
    expect(ctx.q('#param-epochs-hint').textContent?.trim()).toBe('A whole number.');
  });

  it('sends the typed values and shows server errors on the fields they name', async () => {
    client.post.mockRejectedValue(
      new TrainyardApiError(400, 'VALIDATION_FAILED', 'Invalid job', [
        { field: 'job_params.files.1', message: 'No such file.' },
        { field: 'job_params.files.2', message: 'Not readable.' },
        { field: 'env.FOO', message: 'Reserved name.' },
        { field: 'requested_gpus', message: 'Only 1 GPU here.' },
        { field: 'job_params', message: 'Unknown parameter "x".' },
      ]),
    );
    const ctx = await open();
    await choose(ctx, 'trainer');
    const mode = ctx.q<HTMLSelectElement>('#param-mode');
    mode.value = 'slow';
    mode.dispatchEvent(new Event('change'));
    const resume = ctx.q<HTMLInputElement>('#param-resume');
    resume.checked = false;
    resume.dispatchEvent(new Event('change'));
    typeInto(ctx.q('#param-files'), 'a.txt\nb.txt\nc.txt');
    typeInto(ctx.q('#submit-env'), 'FOO=1');
    ctx.fixture.detectChanges();

    await submit(ctx);

    expect(client.post).toHaveBeenCalledTimes(1);
    const request = client.post.mock.calls[0][0];
    expect(request.url).toBe('/api/queue');
    expect(request.body).toEqual({
      job_type: 'trainer',
      requested_gpus: 2,
      priority: 0,
      job_params: { mode: 'slow', resume: false, epochs: 3, files: ['a.txt', 'b.txt', 'c.txt'] },
      env: { FOO: '1' },
    });
    expect(request.headers['Idempotency-Key']).toEqual(expect.any(String));

    expect(ctx.q('#param-files-hint').textContent?.trim()).toBe('No such file. Not readable.');
    expect(ctx.q('#param-files').getAttribute('aria-invalid')).toBe('true');
    expect(ctx.q('#submit-env-hint').textContent?.trim()).toBe('Reserved name.');
    expect(ctx.q('#submit-gpus-hint').textContent?.trim()).toBe('Only 1 GPU here.');
    expect(ctx.q('#param-mode').getAttribute('aria-invalid')).toBe('false');
    expect(ctx.q('.alert[role="alert"]').textContent).toContain('job_params: Unknown parameter "x".');
    // Shown where it can be fixed, not again in a toast half under the dialog that outlives the fix.
    expect(TestBed.inject(ToastStore).toasts()).toEqual([]);
  });

  it('a refusal that names no field is a toast', async () => {
    client.post.mockRejectedValue(new TrainyardApiError(503, 'UNAVAILABLE', 'The server is stopping', []));
    const ctx = await open();
    await choose(ctx, 'trainer');
    await submit(ctx);
    expect(
      TestBed.inject(ToastStore)
        .toasts()
        .map((t) => t.message),
    ).toEqual(['The server is stopping']);
  });

  describe('Advanced section', () => {
    const A = 'q_1700000000000_0a1b2c3d';
    const B = 'q_1700000000001_ffffffff';

    function toggleAdvanced(ctx: Awaited<ReturnType<typeof open>>, openIt: boolean) {
      const details = ctx.q<HTMLDetailsElement>('details.advanced');
      details.open = openIt;
      details.dispatchEvent(new Event('toggle'));
      ctx.fixture.detectChanges();
    }

    async function addDependency(ctx: Awaited<ReturnType<typeof open>>, id: string, condition?: string) {
      ctx.q<HTMLButtonElement>('#submit-dep-add').click();
      ctx.fixture.detectChanges();
      const i = ctx.root.querySelectorAll('.dep-row').length - 1;
      typeInto(ctx.q(`#submit-dep-${i}`), id);
      if (condition) {
        const select = ctx.q<HTMLSelectElement>(`#submit-dep-${i}-condition`);
        select.value = condition;
        select.dispatchEvent(new Event('change'));
      }
      ctx.fixture.detectChanges();
      await ctx.fixture.whenStable();
    }

    it('starts collapsed, and remembers being opened for the next dialog', async () => {
      const first = await open();
      expect(first.q<HTMLDetailsElement>('details.advanced').open).toBe(false);
      toggleAdvanced(first, true);
      first.fixture.destroy();
      TestBed.inject(SubmitLauncher).close();

      const second = await open();
      expect(second.q<HTMLDetailsElement>('details.advanced').open).toBe(true);
    });

    it('sends the time limit, dependencies and array typed in it', async () => {
      client.post.mockResolvedValue({ data: { queue_id: 'q_3_abc', name: null, status: 'queued' } });
      vi.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
      const ctx = await open();
      typeInto(ctx.q('#param-argv'), 'python eval.py');
      toggleAdvanced(ctx, true);
      typeInto(ctx.q('#submit-time-limit'), '1h30m');
      typeInto(ctx.q('#submit-array-count'), '4');
      typeInto(ctx.q('#submit-array-max'), '2');
      await addDependency(ctx, A);
      await addDependency(ctx, B, 'after_any');

      await submit(ctx);

      expect(client.post).toHaveBeenCalledTimes(1);
      expect(client.post.mock.calls[0][0].body).toEqual({
        job_type: 'command',
        requested_gpus: 0,
        priority: 0,
        job_params: { argv: ['python', 'eval.py'] },
        time_limit_s: 5400,
        depends_on: [
          { queue_id: A, condition: 'after_ok' },
          { queue_id: B, condition: 'after_any' },
        ],
        array: { count: 4, max_running: 2 },
      });
    });

    it('says an array was submitted, with its id and size, rather than naming its first job', async () => {
      client.post.mockResolvedValue({
        data: {
          queue_id: 'q_3_abc',
          name: 'eval [0]',
          status: 'running',
          array_id: 'a_1700000000000_0000beef',
        },
      });
      vi.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
      const success = vi.spyOn(TestBed.inject(ToastStore), 'success');
      const ctx = await open();
      typeInto(ctx.q('#param-argv'), 'python eval.py');
      toggleAdvanced(ctx, true);
      typeInto(ctx.q('#submit-array-count'), '2');

      await submit(ctx);

      await vi.waitFor(() =>
        expect(success).toHaveBeenCalledWith('Submitted array a_1700000000000_0000beef (2 jobs).'),
      );
    });

    it('stops a bad time limit or array count under its field, opening the section', async () => {
      const ctx = await open();
      typeInto(ctx.q('#param-argv'), 'python eval.py');
      toggleAdvanced(ctx, true);
      typeInto(ctx.q('#submit-time-limit'), '2 hours');
      typeInto(ctx.q('#submit-array-count'), '0');
      toggleAdvanced(ctx, false);

      await submit(ctx);

      expect(client.post).not.toHaveBeenCalled();
      expect(ctx.q<HTMLDetailsElement>('details.advanced').open).toBe(true);
      expect(ctx.q('#submit-time-limit-hint').textContent?.trim()).toBe(
        'A duration like 90m, 2h, 1h30m, 1:30:00 or seconds (or none).',
      );
      expect(ctx.q('#submit-time-limit').getAttribute('aria-invalid')).toBe('true');
      expect(ctx.q('#submit-array-count-hint').textContent?.trim()).toBe('A whole number from 1 to 10,000.');

      typeInto(ctx.q('#submit-time-limit'), '2h');
      ctx.fixture.detectChanges();
      expect(ctx.q('#submit-time-limit').getAttribute('aria-invalid')).toBe('false');
    });

    it("shows the server's depends_on[i] and time_limit_s errors on the row and field they name", async () => {
      client.post.mockRejectedValue(
        new TrainyardApiError(400, 'VALIDATION_FAILED', 'Invalid job', [
          { field: 'depends_on[0].queue_id', message: `no job ${B}` },
          { field: 'time_limit_s', message: 'time_limit_s must not be greater than 31622400' },
          { field: 'array.sweep.lr', message: 'array.sweep.lr must list values' },
        ]),
      );
      const ctx = await open();
      typeInto(ctx.q('#param-argv'), 'python eval.py');
      toggleAdvanced(ctx, true);
      typeInto(ctx.q('#submit-time-limit'), '9999d');
      await addDependency(ctx, ''); // a blank row is not sent: the server's [0] is the form's row 1
      await addDependency(ctx, B);

      await submit(ctx);
      await vi.waitFor(() => expect(ctx.root.querySelector('#submit-dep-1-hint')).not.toBeNull());

      expect(client.post.mock.calls[0][0].body.depends_on).toEqual([{ queue_id: B, condition: 'after_ok' }]);
      expect(ctx.q('#submit-dep-1-hint').textContent?.trim()).toBe(`no job ${B}`);
      expect(ctx.q('#submit-dep-1').getAttribute('aria-invalid')).toBe('true');
      expect(ctx.q('#submit-dep-0').getAttribute('aria-invalid')).toBe('false');
      expect(ctx.q('#submit-time-limit-hint').textContent?.trim()).toBe(
        'time_limit_s must not be greater than 31622400',
      );
      expect(ctx.q('.alert[role="alert"]').textContent).toContain(
        'array.sweep: array.sweep.lr must list values',
      );
    });

    describe('a short Depends on id', () => {
      const C = 'q_1700000000002_c5a49040';
      const D = 'q_1700000000003_ffff9040';
      /** GET /api/jobs?q= answers like the server: ids (and names) containing the text. */
      function serveJobs(ids: string[]) {
        client.get.mockImplementation(async ({ url, query }: { url: string; query?: { q?: string } }) => {
          if (url === '/api/job-types') return { data: TYPES };
          if (url === '/api/jobs') {
            const items = ids
              .filter((id) => !query?.q || id.includes(query.q))
              .map((queue_id) => ({
                queue_id,
                array_id: null,
                name: null,
                job_type: 'command',
                status: 'done',
              }));
            return { data: { items, next_cursor: null } };
          }
          throw new Error(`unexpected GET ${url}`);
        });
      }
      it('is resolved to the whole id when the field is left, and that id is sent', async () => {
        serveJobs([A, C]);
        client.post.mockResolvedValue({ data: { queue_id: 'q_3_abc', name: null, status: 'queued' } });
        vi.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
        const ctx = await open();
        typeInto(ctx.q('#param-argv'), 'python eval.py');
        toggleAdvanced(ctx, true);
        await addDependency(ctx, 'c5a49040');
        ctx.q('#submit-dep-0').dispatchEvent(new Event('change')); // what leaving a changed field fires
        await vi.waitFor(() => {
          ctx.fixture.detectChanges();
          expect(ctx.q<HTMLInputElement>('#submit-dep-0').value).toBe(C);
        });

        await submit(ctx);
        await vi.waitFor(() => expect(client.post).toHaveBeenCalledTimes(1));
        expect(client.post.mock.calls[0][0].body.depends_on).toEqual([
          { queue_id: C, condition: 'after_ok' },
        ]);
      });

      it('is resolved on submit too, and one matching no job or several is stopped on its row', async () => {
        serveJobs([A, C, D]);
        const ctx = await open();
        typeInto(ctx.q('#param-argv'), 'python eval.py');
        toggleAdvanced(ctx, true);
        await addDependency(ctx, '0a1b2c3d');
        await addDependency(ctx, 'deadbeef');
        await addDependency(ctx, '9040'); // the end of C and of D

        await submit(ctx);
        await vi.waitFor(() => {
          ctx.fixture.detectChanges();
          expect(ctx.root.querySelector('#submit-dep-2-hint')).not.toBeNull();
        });

        expect(client.post).not.toHaveBeenCalled();
        expect(ctx.q<HTMLInputElement>('#submit-dep-0').value).toBe(A);
        expect(ctx.q('#submit-dep-0').getAttribute('aria-invalid')).toBe('false');
        expect(ctx.q('#submit-dep-1-hint').textContent?.trim()).toBe(
          'No job or array id starts or ends with “deadbeef”.',
        );
        expect(ctx.q('#submit-dep-2-hint').textContent?.trim()).toBe(
          `“9040” matches 2 jobs (${C}, ${D}): type more of the id.`,
        );
        expect(ctx.q('#submit-dep-2').getAttribute('aria-invalid')).toBe('true');
      });
    });
  });

  it('sends preemptible only when its box is ticked', async () => {
    client.post.mockResolvedValue({ data: { queue_id: 'q_3_abc', name: null, status: 'queued' } });
    vi.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
    const ctx = await open();
    typeInto(ctx.q('#param-argv'), 'python train.py');
    const box = ctx.q<HTMLInputElement>('#submit-preemptible');
    expect(box.checked).toBe(false);
    expect(ctx.q('#submit-preemptible-hint').textContent).toContain('higher-priority job');
    box.checked = true;
    box.dispatchEvent(new Event('change'));
    ctx.fixture.detectChanges();

    await submit(ctx);

    expect(client.post.mock.calls[0][0].body).toEqual({
      job_type: 'command',
      requested_gpus: 0,
      priority: 0,
      job_params: { argv: ['python', 'train.py'] },
      preemptible: true,
    });
  });

  describe('MIG profile', () => {
    const migGpus = {
      gpus: [
        { index: 0, disabled: false, excluded: false, mig_devices: [] },
        {
          index: 1,
          disabled: false,
          excluded: false,
          mig_devices: [
            { profile: '1g.10gb', reserved_by: 'q_1' },
            { profile: '1g.10gb', reserved_by: null },
            { profile: '2g.20gb', reserved_by: null },
          ],
        },
      ],
    };
    function serveGpus(list: unknown) {
      client.get.mockImplementation(async ({ url }: { url: string }) => {
        if (url === '/api/job-types') return { data: TYPES };
        if (url === '/api/gpus') return { data: list };
        throw new Error(`unexpected GET ${url}`);
      });
    }

    it('offers the profiles present with free counts and sends gpu_profile', async () => {
      serveGpus(migGpus);
      client.post.mockResolvedValue({ data: { queue_id: 'q_4_abc', name: null, status: 'queued' } });
      vi.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
      const ctx = await open();
      const select = ctx.q<HTMLSelectElement>('#submit-gpu-profile');
      expect(ctx.q(`label[for="submit-gpu-profile"]`).textContent?.trim()).toBe('MIG profile');
      expect([...select.options].map((o) => [o.value, o.textContent?.trim()])).toEqual([
        ['', 'Whole GPUs'],
        ['1g.10gb', '1g.10gb · 1 of 2 free'],
        ['2g.20gb', '2g.20gb · 1 of 1 free'],
      ]);
      expect(select.value).toBe('');
      typeInto(ctx.q('#param-argv'), 'python train.py');
      typeInto(ctx.q('#submit-gpus'), '1');
      select.value = '1g.10gb';
      select.dispatchEvent(new Event('change'));
      ctx.fixture.detectChanges();
      expect(ctx.q('#submit-gpus-hint').textContent?.trim()).toBe('How many 1g.10gb MIG devices');
      expect(ctx.q('#submit-gpu-profile-hint').textContent).toContain('counts MIG devices');
      // A service runs on whole GPUs: saving one says the profile is not kept.
      const button = (text: string) =>
        [...ctx.root.querySelectorAll('button')].find((b) => b.textContent?.includes(text))!;
      button('Save as service').click();
      ctx.fixture.detectChanges();
      expect(ctx.q('#service-name-hint').textContent).toContain('not the MIG profile');
      button('Back').click();
      ctx.fixture.detectChanges();

      await submit(ctx);

      expect(client.post.mock.calls[0][0].body).toMatchObject({ requested_gpus: 1, gpu_profile: '1g.10gb' });
    });

    it('is not shown when no GPU has MIG devices (or the GPUs cannot be read)', async () => {
      serveGpus({ gpus: [migGpus.gpus[0]] });
      const ctx = await open();
      expect(ctx.root.querySelector('#submit-gpu-profile')).toBeNull();
      expect(ctx.q('#submit-gpus-hint').textContent?.trim()).toBe('0 = CPU only');
    });

    it('is filled in on resubmit', async () => {
      serveGpus(migGpus);
      const launcher = TestBed.inject(SubmitLauncher);
      const fixture = TestBed.createComponent(SubmitDialogComponent);
      launcher.show({
        queue_id: 'q_9_old',
        name: 'slice',
        job_type: 'command',
        job_params: { argv: ['true'] },
        requested_gpus: 1,
        gpu_profile: '2g.20gb',
        priority: 0,
        cwd: '/work',
        env: {},
      } as never);
      fixture.detectChanges();
      await vi.waitFor(() => expect(client.get).toHaveBeenCalled());
      for (let i = 0; i < 3; i++) {
        await fixture.whenStable();
        fixture.detectChanges();
      }
      const root = fixture.nativeElement as HTMLElement;
      expect(root.querySelector<HTMLSelectElement>('#submit-gpu-profile')!.value).toBe('2g.20gb');
    });
  });

  it('remembers the last type and its values for the next time', async () => {
    client.post.mockResolvedValue({ data: { queue_id: 'q_1_abc', name: null, status: 'running' } });
    const navigate = vi.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
    const first = await open();
    await choose(first, 'trainer');
    typeInto(first.q('#param-epochs'), '12');
    typeInto(first.q('#submit-name'), 'nightly');
    first.fixture.detectChanges();
    await submit(first);

    expect(navigate).toHaveBeenCalledWith(['/jobs', 'q_1_abc']);
    expect(TestBed.inject(SubmitLauncher).open()).toBe(false);
    first.fixture.destroy();

    const second = await open();
    expect(second.q<HTMLSelectElement>('#job-type').value).toBe('trainer');
    expect(second.q<HTMLInputElement>('#param-epochs').value).toBe('12');
    expect(second.q<HTMLInputElement>('#submit-name').value).toBe('nightly');

    // Other types keep their own values (here: their defaults).
    await choose(second, 'command');
    expect(second.q<HTMLInputElement>('#submit-name').value).toBe('');
  });

  it('previews the argv a one-line command becomes, and sends exactly that', async () => {
    client.post.mockResolvedValue({ data: { queue_id: 'q_2_abc', name: null, status: 'running' } });
    vi.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
    const ctx = await open();
    typeInto(ctx.q('#param-argv'), `python -c 'print("a b")' --name "my run"`);
    ctx.fixture.detectChanges();

    const args = [...ctx.root.querySelectorAll('#param-argv-preview .arg')].map((e) => e.textContent);
    expect(args).toEqual(['python', '-c', 'print("a b")', '--name', 'my run']);

    await submit(ctx);
    expect(client.post.mock.calls[0][0].body.job_params).toEqual({
      argv: ['python', '-c', 'print("a b")', '--name', 'my run'],
    });
  });

  it('says what is wrong with an unclosed quote and warns about shell operators', async () => {
    const ctx = await open();
    typeInto(ctx.q('#param-argv'), `echo 'oops`);
    ctx.fixture.detectChanges();
    expect(ctx.q('#param-argv-preview').textContent).toContain('Unclosed single quote');
    typeInto(ctx.q('#param-argv'), 'cat log | grep loss');
    ctx.fixture.detectChanges();
    expect(ctx.q('#param-argv-preview').textContent).toContain('| reach the program as plain arguments');
    await submit(ctx);
    expect(client.post).toHaveBeenCalledTimes(1); // a warning, not an error
  });

  it('opens pre-filled from a job to resubmit it, then fresh again for a new job', async () => {
    const launcher = TestBed.inject(SubmitLauncher);
    const fixture = TestBed.createComponent(SubmitDialogComponent);
    launcher.show({
      queue_id: 'q_9_old',
      name: 'nightly',
      job_type: 'trainer',
      job_params: { mode: 'slow', resume: false, epochs: 7, files: ['a b.txt', 'c.txt'] },
      requested_gpus: 1,
      priority: 4,
      cwd: '/work/proj',
      env: { WANDB_MODE: 'offline' },
    } as never);
    fixture.detectChanges();
    await vi.waitFor(() => expect(client.get).toHaveBeenCalled());
    for (let i = 0; i < 3; i++) {
      await fixture.whenStable();
      fixture.detectChanges();
    }
    const root = fixture.nativeElement as HTMLElement;
    const val = (sel: string) => root.querySelector<HTMLInputElement>(sel)!.value;
    expect(root.querySelector('#submit-title')!.textContent).toContain('Resubmit nightly');
    expect(val('#job-type')).toBe('trainer');
    expect(val('#param-mode')).toBe('slow');
    expect(root.querySelector<HTMLInputElement>('#param-resume')!.checked).toBe(false);
    expect(val('#param-epochs')).toBe('7');
    expect(val('#param-files')).toBe(`'a b.txt' c.txt`);
    expect(val('#submit-gpus')).toBe('1');
    expect(val('#submit-priority')).toBe('4');
    expect(val('#submit-name')).toBe('nightly');
    expect(val('#submit-cwd')).toBe('/work/proj');
    expect(val('#submit-env')).toBe('WANDB_MODE=offline');

    launcher.close();
    fixture.detectChanges();
    launcher.show();
    fixture.detectChanges();
    for (let i = 0; i < 3; i++) {
      await fixture.whenStable();
      fixture.detectChanges();
    }
    expect(root.querySelector('#submit-title')!.textContent).toContain('New job');
    expect(val('#submit-name')).toBe('');
  });

  it('saves the form as a service: name checked first, then the type and params POSTed, 400s shown inline', async () => {
    const ctx = await open();
    const button = (text: string) =>
      [...ctx.root.querySelectorAll<HTMLButtonElement>('button')].find(
        (b) => b.textContent?.trim() === text,
      )!;
    // A type that runs to completion cannot be a service.
    await choose(ctx, 'trainer');
    expect(button('Save as service…').disabled).toBe(true);
    await choose(ctx, 'command');
    typeInto(ctx.q('#param-argv'), 'python -m http.server 8000');
    ctx.fixture.detectChanges();

    button('Save as service…').click();
    ctx.fixture.detectChanges();
    typeInto(ctx.q('#service-name'), 'web site');
    ctx.fixture.detectChanges();
    button('Save service').click();
    await ctx.fixture.whenStable();
    ctx.fixture.detectChanges();
    expect(client.post).not.toHaveBeenCalled();
    expect(ctx.q('#service-name-hint').textContent?.trim()).toBe('Letters, digits, - and _ only.');

    client.post.mockRejectedValueOnce(
      new TrainyardApiError(400, 'VALIDATION_FAILED', 'Invalid service', [
        { field: 'name', message: 'taken by another' },
        { field: 'args.argv', message: 'argv too long' },
      ]),
    );
    typeInto(ctx.q('#service-name'), 'web-site');
    ctx.fixture.detectChanges();
    button('Save service').click();
    await vi.waitFor(() => expect(client.post).toHaveBeenCalledTimes(1));
    await ctx.fixture.whenStable();
    ctx.fixture.detectChanges();
    expect(client.post.mock.calls[0][0]).toMatchObject({
      url: '/api/services',
      body: {
        type: 'command',
        name: 'web-site',
        enabled: true,
        args: { argv: ['python', '-m', 'http.server', '8000'] },
        requested_gpus: 0,
        priority: 0,
      },
    });
    expect(ctx.q('#service-name-hint').textContent?.trim()).toBe('taken by another');
    expect(ctx.q('#param-argv-hint').textContent?.trim()).toBe('argv too long');
    expect(TestBed.inject(SubmitLauncher).open()).toBe(true);
  });

  it('opens on the type a Services launcher asks for', async () => {
    const fixture = TestBed.createComponent(SubmitDialogComponent);
    TestBed.inject(SubmitLauncher).show(null, 'trainer');
    fixture.detectChanges();
    await vi.waitFor(() => expect(client.get).toHaveBeenCalled());
    for (let i = 0; i < 3; i++) {
      await fixture.whenStable();
      fixture.detectChanges();
    }
    expect((fixture.nativeElement as HTMLElement).querySelector<HTMLSelectElement>('#job-type')!.value).toBe(
      'trainer',
    );
  });
});

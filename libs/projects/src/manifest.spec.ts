import { ManifestError, parseManifest, valueProblem } from './manifest';

describe(parseManifest.name, () => {
  const sut = (text: string) => parseManifest(text, '/p');
  const fieldOf = (text: string) => {
    try {
      sut(text);
    } catch (err) {
      return (err as ManifestError).field;
    }
    return undefined;
  };

  it('fills defaults: training job type, output dir, default config = the first, file made absolute', () => {
    const m = sut(
      'configs:\n  - {name: a, script: t.py, file: c/a.yaml}\n  - {name: b, job_type: command, argv: [x]}\n',
    );
    expect(m.default_config).toBe('a');
    expect(m.configs[0]).toMatchObject({
      job_type: 'training',
      output_dir: 'output_models/{config}',
      file: '/p/c/a.yaml',
    });
  });

  it.each([
    ['configs: {}', 'configs'],
    ['configs:\n  - {name: "../x", job_type: command, argv: [x]}', 'configs[0].name'],
    ['configs:\n  - {name: a, job_type: command}', 'configs[0].argv'],
    ['configs:\n  - {name: a, script: t.py, file: /etc/passwd}', 'configs[0].file'],
    ['configs:\n  - {name: a, script: t.py, file: ../x.yaml}', 'configs[0].file'],
    ['configs:\n  - {name: a, job_type: command, argv: ["{nope}"]}', 'configs[0].argv[0]'],
    ['configs:\n  - {name: a, script: t, params: [{name: lr, type: float}]}', 'configs[0].params[0].type'],
    [
      'configs:\n  - {name: a, script: t, params: [{name: o, choices: [x], default: y}]}',
      'configs[0].params[0].default',
    ],
    ['configs:\n  - {name: a, script: t}\n  - {name: a, script: t}', 'configs[1].name'],
    ['default_config: z\nconfigs:\n  - {name: a, script: t}', 'default_config'],
    ['output_dir: ../out', 'output_dir'],
    ['[1, 2]', '(root)'],
    ['a: [', '(yaml)'],
  ])('refuses %j naming %s', (text, field) => {
    expect(fieldOf(text)).toBe(field);
  });

  it('says where the YAML is broken in one whole line (it ended on "column 1:", the excerpt cut off)', () => {
    expect(() => parseManifest('a: [1, 2\nb: 3\n', '/p')).toThrow(/at line 2, column 1$/);
  });
});

describe(valueProblem.name, () => {
  it.each([
    ['integer', 3, undefined, true],
    ['integer', 3.5, undefined, false],
    ['number', Number.NaN, undefined, false],
    ['boolean', 'true', undefined, false],
    ['string', 'sgd', ['adam', 'sgd'], true],
    ['string', 'adamw', ['adam', 'sgd'], false],
    ['path', { a: 1 }, undefined, false],
  ] as const)('%s %j (choices %j) fits: %s', (type, value, choices, fits) => {
    expect(valueProblem(type, value, choices as never) === undefined).toBe(fits);
  });
});

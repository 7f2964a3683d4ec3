import { TrainyardApiError } from './errors';

describe(TrainyardApiError.name, () => {
  it('keeps the object of facts an error carries as details (before: dropped, details [])', () => {
    const err = TrainyardApiError.fromBody(409, {
      statusCode: 409,
      code: 'CONFIRMATION_REQUIRED',
      message: 'confirm the kill',
      details: { gpu_index: 1, pids: [32438] },
    });
    expect([err.code, err.details, err.facts]).toEqual([
      'CONFIRMATION_REQUIRED',
      [],
      { gpu_index: 1, pids: [32438] },
    ]);
    const invalid = TrainyardApiError.fromBody(400, {
      code: 'VALIDATION_FAILED',
      message: 'bad',
      details: [{ field: 'priority', message: 'priority must be an integer' }],
    });
    expect([invalid.details, invalid.facts]).toEqual([
      [{ field: 'priority', message: 'priority must be an integer' }],
      null,
    ]);
  });

  it("takes an upstream's OpenAI-style error message (through a proxy) when there is no message of ours", () => {
    // Before: "HTTP 500", with the model server's reason lost.
    const nested = TrainyardApiError.fromBody(500, '{"error":{"message":"CUDA out of memory","type":"x"}}');
    expect([nested.code, nested.message]).toEqual(['HTTP_500', 'CUDA out of memory']);
    expect(TrainyardApiError.fromBody(502, { error: 'model not loaded' }).message).toBe('model not loaded');
    expect(TrainyardApiError.fromBody(500, { error: { code: 1 } }).message).toBe('HTTP 500');
  });
});

import { ConsoleErrorHandler } from './error-handler';

/** Monaco's CancellationError, as `monaco-editor` builds it (its name is set to its message). */
function canceled(): Error {
  const error = new Error('Canceled');
  error.name = error.message;
  return error;
}

describe('ConsoleErrorHandler', () => {
  it('stays quiet about Monaco cancelling its work on dispose, and logs everything else', () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const handler = new ConsoleErrorHandler();
    handler.handleError(canceled());
    expect(log).not.toHaveBeenCalled();
    const other = new Error('Canceled');
    handler.handleError(other); // a plain Error that merely says so is not Monaco's
    handler.handleError(new TypeError('x is undefined'));
    expect(log).toHaveBeenCalledTimes(2);
    log.mockRestore();
  });
});

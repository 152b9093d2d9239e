import { MessagingError } from '@azure/event-hubs';
import { toSinkError } from './translate-error';
import { SinkError } from './types';

function messaging(code: string, retryable: boolean): MessagingError {
  const error = new MessagingError(`${code} happened`);
  error.code = code;
  error.retryable = retryable;
  return error;
}

describe('toSinkError', () => {
  it('when the SDK throws a MessagingError, then its code and retryable verdict are kept', () => {
    expect(toSinkError(messaging('ServerBusyError', true))).toMatchObject({
      code: 'ServerBusyError',
      retryable: true,
    });
    expect(toSinkError(messaging('MessageTooLargeError', false))).toMatchObject({
      code: 'MessageTooLargeError',
      retryable: false,
    });
  });

  it('when several SDK attempts failed, then the last attempt decides', () => {
    const aggregate = new AggregateError([
      messaging('ServerBusyError', true),
      messaging('UnauthorizedError', false),
    ]);
    const translated = toSinkError(aggregate);
    expect(translated).toBeInstanceOf(SinkError);
    expect(translated).toMatchObject({ code: 'UnauthorizedError', retryable: false });
    expect(translated.cause).toBe(aggregate);
  });

  it('when the operation was aborted, then it is not retryable', () => {
    const abort = new Error('The operation was aborted.');
    abort.name = 'AbortError';
    expect(toSinkError(abort)).toMatchObject({ code: 'AbortError', retryable: false });
  });

  it('when something unknown is thrown, then it is not retryable', () => {
    expect(toSinkError(new TypeError('bug'))).toMatchObject({ code: 'TypeError', retryable: false });
    expect(toSinkError('text')).toMatchObject({ code: 'Unknown', retryable: false });
  });
});

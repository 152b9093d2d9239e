/**
 * The one error type the emulator's core throws: an AMQP condition (which the AMQP side puts in
 * a rejection or detach) plus the HTTP status the REST side answers with.
 */
export class EmulatorError extends Error {
  readonly condition: string;
  readonly status: number;

  constructor(condition: string, description: string, status: number) {
    super(description);
    this.name = 'EmulatorError';
    this.condition = condition;
    this.status = status;
  }
}

export function entityNotFound(entity: string): EmulatorError {
  return new EmulatorError('amqp:not-found', `The messaging entity '${entity}' could not be found.`, 404);
}

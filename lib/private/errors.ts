import { IConstruct } from 'constructs';

/**
 * An error for input that fails validation, thrown at synth, named `ValidationError` as aws-cdk-lib's are, with the
 * construct's path (`constructPath`) when there is a construct to name.
 *
 * aws-cdk-lib's own `ValidationError` is `@internal`, and `Errors.isValidationError` recognises its errors by symbols
 * that are not part of its API either: this library does not imitate them (a 1.0 API depends on no private part of
 * aws-cdk-lib), so `Errors.isValidationError` does not recognise these. The message names the construct and the value.
 */
export function validationError(message: string, scope?: IConstruct): Error {
  const error = new Error(message);
  error.name = 'ValidationError';
  if (scope) {
    Object.defineProperty(error, 'constructPath', { value: scope.node.path });
  }
  return error;
}

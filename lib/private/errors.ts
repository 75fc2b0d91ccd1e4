import { IConstruct } from 'constructs';

/**
 * aws-cdk-lib's own `ValidationError` ("input props fail to pass the validation rules of a construct") is `@internal`:
 * a library cannot construct one. What is public is `Errors.isValidationError(e)` (aws-cdk-lib 2.176, the peer
 * minimum, has it too), which recognises one by two global symbols. The errors of this library carry them, with the
 * same name and the construct's path, so that tools and tests that tell a validation error from a crash see these
 * as aws-cdk-lib's.
 */
const CONSTRUCT_ERROR = Symbol.for('@aws-cdk/core.SynthesisError');
const VALIDATION_ERROR = Symbol.for('@aws-cdk/core.ValidationError');

/** An error for input that fails validation, thrown at synth, recognised by `Errors.isValidationError`. */
export function validationError(message: string, scope?: IConstruct): Error {
  const error = new Error(message);
  error.name = 'ValidationError';
  Object.defineProperty(error, CONSTRUCT_ERROR, { value: true });
  Object.defineProperty(error, VALIDATION_ERROR, { value: true });
  if (scope) {
    Object.defineProperty(error, 'constructPath', { value: scope.node.path });
  }
  return error;
}

/** The JSON Schema of `status --json` (cli/status.schema.json), compiled once with Ajv and its formats (date-time). */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import schema from '../../cli/status.schema.json';

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);
const validate = ajv.compile(schema);

/** Parses the command's stdout as JSON and expects it to validate against the schema; returns it. */
export function validReport(stdout: string): any {
  const report = JSON.parse(stdout);
  validate(report);
  expect(validate.errors ?? []).toEqual([]);
  return report;
}

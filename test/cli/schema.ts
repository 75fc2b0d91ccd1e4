/** The JSON Schemas of the commands' --json (cli/<command>.schema.json), compiled once with Ajv and its formats (date-time). */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import orphans from '../../cli/orphans.schema.json';
import replicate from '../../cli/replicate.schema.json';
import servers from '../../cli/servers.schema.json';
import status from '../../cli/status.schema.json';

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);
const validators = {
  status: ajv.compile(status),
  servers: ajv.compile(servers),
  replicate: ajv.compile(replicate),
  orphans: ajv.compile(orphans),
};

/** Parses the command's stdout as JSON and expects it to validate against the command's schema; returns it. */
export function validReport(stdout: string, command: keyof typeof validators = 'status'): any {
  const report = JSON.parse(stdout);
  const validate = validators[command];
  validate(report);
  expect(validate.errors ?? []).toEqual([]);
  return report;
}

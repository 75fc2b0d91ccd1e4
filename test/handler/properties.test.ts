import { InvalidPropertyError, decodeProperties, serverIdOf } from '../../lambda/properties';

/** Properties as CloudFormation delivers them: every value a string. */
const everyProp = {
  ServiceToken: 'arn:aws:lambda:us-west-2:123456789012:function:provider',
  ServiceTimeout: '600',
  ServerId: 's-12345678',
  SeedReplicationTime: '2027-01-04T02:00:00.000Z',
  Frequency: '12',
  RunOnce: 'false',
  LicenseType: 'BYOL',
  RoleName: 'sms',
  Description: 'database',
  NumberOfRecentAmisToKeep: '5',
  Encrypted: 'true',
  KmsKeyId: 'arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
};

describe('decodeProperties', () => {
  test('decodes every stringified property to the API type', () => {
    expect(decodeProperties(everyProp)).toEqual({
      serverId: 's-12345678',
      seedReplicationTime: new Date(Date.UTC(2027, 0, 4, 2)),
      frequency: 12,
      runOnce: false,
      licenseType: 'BYOL',
      roleName: 'sms',
      description: 'database',
      numberOfRecentAmisToKeep: 5,
      encrypted: true,
      kmsKeyId: everyProp.KmsKeyId,
    });
  });

  test('leaves absent and empty optionals undefined', () => {
    const decoded = decodeProperties({ ServerId: 's-1', SeedReplicationTime: '2027-01-04T02:00:00Z', Description: '', Frequency: '' });
    expect(Object.entries(decoded).filter(([, v]) => v !== undefined).map(([k]) => k).sort()).toEqual(['seedReplicationTime', 'serverId']);
  });

  test.each([
    ['Frequency', 'lots', /Property Frequency must be a whole number of hours from 1 to 24, got "lots"/],
    ['Frequency', '0', /Property Frequency .* got "0"/],
    ['Frequency', '25', /Property Frequency .* got "25"/],
    ['Frequency', '1.5', /Property Frequency .* got "1.5"/],
    ['NumberOfRecentAmisToKeep', '-1', /Property NumberOfRecentAmisToKeep must be a whole number from 0 to 270/],
    ['NumberOfRecentAmisToKeep', '271', /Property NumberOfRecentAmisToKeep .* got "271"/],
    ['RunOnce', 'yes', /Property RunOnce must be "true" or "false", got "yes"/],
    ['Encrypted', 'TRUE', /Property Encrypted must be "true" or "false", got "TRUE"/],
    ['LicenseType', 'GPL', /Property LicenseType must be one of AWS, BYOL, got "GPL"/],
    ['SeedReplicationTime', 'tomorrow', /Property SeedReplicationTime must be an ISO-8601 date and time .* got "tomorrow"/],
    ['SeedReplicationTime', '12', /Property SeedReplicationTime .* got "12"/],
    ['SeedReplicationTime', '2027-02-30T00:00:00Z', /Property SeedReplicationTime .* got "2027-02-30T00:00:00Z"/],
  ])('rejects %s "%s", naming the property and the value', (key, value, message) => {
    const attempt = () => decodeProperties({ ...everyProp, Encrypted: 'true', [key]: value });
    expect(attempt).toThrow(InvalidPropertyError);
    expect(attempt).toThrow(message);
  });

  test('takes a whole number written with a zero fraction, as a Number parameter may arrive', () => {
    expect(decodeProperties({ ...everyProp, Frequency: '6.0', NumberOfRecentAmisToKeep: '10.00' })).toMatchObject({ frequency: 6, numberOfRecentAmisToKeep: 10 });
    expect(() => decodeProperties({ ...everyProp, Frequency: '0x6' })).toThrow(/Property Frequency .* got "0x6"/);
    expect(() => decodeProperties({ ...everyProp, Frequency: '6e0' })).toThrow(/Property Frequency .* got "6e0"/);
  });

  test('requires ServerId; SeedReplicationTime may be absent (the first run then starts as soon as possible)', () => {
    expect(() => decodeProperties({ SeedReplicationTime: '2027-01-04T02:00:00Z' })).toThrow(/Property ServerId is required/);
    expect(decodeProperties({ ServerId: 's-1' })).toMatchObject({ serverId: 's-1', seedReplicationTime: undefined });
    expect(decodeProperties({ ServerId: 's-1', SeedReplicationTime: '' }).seedReplicationTime).toBeUndefined();
  });

  test('rejects unknown properties, naming the ones allowed', () => {
    expect(() => decodeProperties({ ...everyProp, Frequncy: '12' })).toThrow(/Unknown property Frequncy; allowed: ServerId, SeedReplicationTime, Frequency/);
  });

  test('rejects Frequency with RunOnce "true", and KmsKeyId with Encrypted "false"', () => {
    expect(() => decodeProperties({ ...everyProp, RunOnce: 'true' })).toThrow(/Property Frequency \(12\) cannot be combined with RunOnce "true"/);
    expect(() => decodeProperties({ ...everyProp, Encrypted: 'false' })).toThrow(/Property KmsKeyId .* requires Encrypted "true", got "false"/);
  });

  test('rejects a list or an object where a single value belongs', () => {
    expect(() => decodeProperties({ ...everyProp, RoleName: ['a', 'b'] })).toThrow(/Property RoleName must be a single value, got \["a","b"\]/);
  });

  test('serverIdOf reads the server id of properties that do not otherwise decode', () => {
    expect(serverIdOf({ ServerId: 's-1', Frequency: 'lots' })).toEqual('s-1');
    expect(serverIdOf({ ServerId: { bad: true } })).toBeUndefined();
    expect(serverIdOf(undefined)).toBeUndefined();
  });
});

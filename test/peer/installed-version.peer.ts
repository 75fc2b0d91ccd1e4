/**
 * Run only by .ci/peer-minimum (jest finds *.test.ts; this is *.peer.ts), which maps aws-cdk-lib and constructs to the peer dependencies' minimum versions:
 * proves that the construct tests beside it ran against those versions, not the development ones.
 */
test('aws-cdk-lib and constructs are the peer minimum versions', () => {
  expect(require('aws-cdk-lib/package.json').version).toEqual(process.env.PEER_AWS_CDK_LIB);
  expect(require('constructs/package.json').version).toEqual(process.env.PEER_CONSTRUCTS);
});

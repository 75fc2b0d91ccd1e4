// Preloaded into handler processes only when the answer server could not listen on 443 (see answer-server.ts):
// sends HTTPS requests that name no port to BENCH_ANSWER_PORT, as aws-cdk-lib's handler builds its request from the
// response URL's host name and path alone.
'use strict';
const https = require('node:https');
const port = Number(process.env.BENCH_ANSWER_PORT);
const request = https.request;
https.request = function (options, ...rest) {
  if (options && typeof options === 'object' && !(options instanceof URL) && options.port === undefined) {
    options = { ...options, port };
  }
  return request.call(this, options, ...rest);
};

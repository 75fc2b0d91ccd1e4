/**
 * Answers CloudFormation: a PUT of a JSON body to the pre-signed S3 URL in the event.
 *
 * Written by hand (about 60 lines) rather than taken from a package: the maintained implementations live inside
 * aws-cdk-lib's own handlers and are not published on their own, and `cfn-response` neither limits the body to
 * CloudFormation's 4096 bytes nor retries the PUT.
 */
import * as https from 'node:https';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

/** CloudFormation rejects a response body larger than this. */
export const MAX_RESPONSE_BYTES = 4096;

export interface Answer {
  readonly status: 'SUCCESS' | 'FAILED';
  readonly physicalResourceId: string;
  readonly reason?: string;
  readonly data?: Record<string, string>;
}

/** The response body, with the Reason cut (on a character boundary) so that the whole body fits in 4096 bytes. */
export function responseBody(event: CloudFormationCustomResourceEvent, answer: Answer): string {
  const body = (reason: string) => JSON.stringify({
    Status: answer.status,
    Reason: reason,
    PhysicalResourceId: answer.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: false,
    Data: answer.data,
  });
  const reason = answer.reason ?? '';
  const json = body(reason);
  if (Buffer.byteLength(json) <= MAX_RESPONSE_BYTES) {
    return json;
  }
  // Keep the longest prefix of the Reason (in whole characters, after JSON escaping) that fits, plus an ellipsis.
  const chars = Array.from(reason);
  const cut = (keep: number) => body(chars.slice(0, keep).join('') + '…');
  let fits = 0;
  let tooLong = chars.length;
  while (tooLong - fits > 1) {
    const mid = Math.floor((fits + tooLong) / 2);
    if (Buffer.byteLength(cut(mid)) <= MAX_RESPONSE_BYTES) {
      fits = mid;
    } else {
      tooLong = mid;
    }
  }
  return cut(fits);
}

/** The URL without its query string: what may be logged. The query carries the pre-signed signature. */
export function redactUrl(url: string): string {
  return url.split('?')[0];
}

/** PUTs the answer, retrying a failed PUT with backoff until the deadline. */
export async function sendAnswer(event: CloudFormationCustomResourceEvent, answer: Answer, deadline: number): Promise<void> {
  const body = responseBody(event, answer);
  for (let attempt = 1; ; attempt++) {
    try {
      await put(event.ResponseURL, body, Math.max(1000, deadline - Date.now()));
      return;
    } catch (e) {
      const wait = Math.min(200 * 2 ** attempt, 2000);
      if (attempt >= 5 || Date.now() + wait >= deadline) {
        throw new Error(`Could not send the response to ${redactUrl(event.ResponseURL)} after ${attempt} attempts: ${(e as Error).message}`);
      }
      console.warn(JSON.stringify({ message: 'response PUT failed; retrying', attempt, error: (e as Error).message }));
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

function put(url: string, body: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, {
      method: 'PUT',
      // The URL is signed for an empty content type.
      headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
      timeout: timeoutMs,
    }, (response) => {
      response.resume();
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          resolve();
        } else {
          reject(new Error(`HTTP ${status}`));
        }
      });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}

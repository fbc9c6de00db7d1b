import { parse as parseYaml } from 'yaml';
import {
  FormsError,
  GO_YAML_OPTIONS,
  loadFormsText,
  parseGoYaml,
  type ValidationResult,
  validateForms,
} from '../../engines/forms/index.js';
import { unprocessable } from '../../platform/errors.js';
import { OutboundError, type OutboundPolicy, outboundRequest } from '../../platform/net/outbound.js';
import { quoteUpstream } from '../../platform/net/upstream-text.js';
import { linearRegExp } from '../../platform/text/linear-regexp.js';

const INVALID = 'The Forms File has an invalid format: ';

/**
 * validateFormsFile: clients send the file parsed to JSON; a YAML text is read too (as the stack
 * catalog would: rendered as a stack template when it only parses once rendered). Always a result,
 * never an error: problems are listed in `errors`.
 */
export function validateFormsFile(formFile: unknown): ValidationResult {
  let file = formFile;
  if (typeof formFile === 'string') {
    try {
      file = readFormsText(formFile);
    } catch (e) {
      if (!(e instanceof FormsError)) throw e;
      return { errors: [`${INVALID}${e.message}`], forms: { version: '3', use_cases: [] } };
    }
  }
  return validateForms(file, { compileRegExp: linearRegExp });
}

function readFormsText(text: string): unknown {
  try {
    return parseGoYaml(text, 'form_file').value;
  } catch (e) {
    if (!(e instanceof FormsError) || !text.includes('($')) throw e;
    return loadFormsText(text, { stackVersion: 4, name: 'form_file' }).file;
  }
}

/** Limits of one values_ref fetch: a list of choices is small, and a form waits for it. */
export const VALUES_REF_TIMEOUT_MS = 5_000;
export const VALUES_REF_MAX_BYTES = 1024 * 1024;

/**
 * valuesRefForms: GETs the URL through the outbound policy and answers its JSON or YAML body (a list
 * of choices, or a map as in the contract's example). Anything else is a 422 naming the problem.
 */
export async function fetchValuesRef(url: string, policy: OutboundPolicy): Promise<unknown> {
  if (!/^https?:\/\//i.test(url)) throw unprocessable('url: only http and https URLs are fetched');
  let response: Awaited<ReturnType<typeof outboundRequest>>;
  try {
    response = await outboundRequest(
      url,
      {
        headers: { accept: 'application/json, application/yaml;q=0.9, */*;q=0.5' },
        timeoutMs: VALUES_REF_TIMEOUT_MS,
        maxResponseBytes: VALUES_REF_MAX_BYTES,
      },
      policy,
    );
  } catch (error) {
    if (!(error instanceof OutboundError)) throw error;
    throw unprocessable(`url: ${quoteUpstream(error.message)}`);
  }
  if (response.status < 200 || response.status >= 300) {
    throw unprocessable(`url: the server answered ${response.status}`);
  }
  const body = parseBody(response.body.toString('utf8'));
  if (body === undefined) throw unprocessable('url: the answer is neither JSON nor YAML');
  if (typeof body !== 'object' || body === null) {
    throw unprocessable('url: the answer is not a list of values (nor a map)');
  }
  return body;
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    try {
      return parseYaml(text, { ...GO_YAML_OPTIONS, maxAliasCount: 100 });
    } catch {
      return undefined;
    }
  }
}

import { AppError, type ErrorCode } from '../errors.js';

/**
 * Why a git operation failed. Every failure a caller can meet is one of these, each with a message fit
 * for a client (the remote's own words pass through quoteUpstream: one line, secrets blanked).
 */
export type GitFailure =
  | 'refused' // the URL policy refused the remote (the message names the rule)
  | 'invalid' // a branch, path, author or commit the caller gave is not acceptable
  | 'auth' // the remote refused the credential, or wanted one
  | 'host-key' // the ssh host key is unknown or changed
  | 'not-found' // no such repository, branch, commit or file
  | 'unreachable' // DNS, connection, TLS
  | 'timeout'
  | 'too-large' // the repository or a file is over its limit
  | 'conflict' // the branch moved while we pushed
  | 'unavailable' // git itself is missing
  | 'failed'; // anything else git reported

const CODE_BY_FAILURE: Record<GitFailure, ErrorCode> = {
  refused: 'Unprocessable',
  invalid: 'Unprocessable',
  auth: 'Unprocessable',
  'host-key': 'Unprocessable',
  'not-found': 'NotFound',
  unreachable: 'BadGateway',
  timeout: 'GatewayTimeout',
  'too-large': 'Unprocessable',
  conflict: 'Conflict',
  unavailable: 'ServiceUnavailable',
  failed: 'BadGateway',
};

export class GitError extends AppError {
  constructor(
    public readonly reason: GitFailure,
    message: string,
  ) {
    super(CODE_BY_FAILURE[reason], message);
    this.name = 'GitError';
  }
}

/** The failure git's own words (LC_ALL=C) describe; `failed` when none matches. */
export function classifyGitStderr(stderr: string): GitFailure {
  if (/cannot run ssh|ssh: (command )?not found/i.test(stderr)) return 'unavailable';
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key for .* has changed/i.test(stderr)) {
    return 'host-key';
  }
  if (
    /Authentication failed|could not read (Username|Password)|terminal prompts disabled|Permission denied \(|HTTP (401|403)|The requested URL returned error: 40[13]|Invalid username or password/i.test(
      stderr,
    )
  ) {
    return 'auth';
  }
  if (/couldn't find remote ref|Remote branch .* not found|not found in upstream/i.test(stderr)) return 'not-found';
  if (
    /does not appear to be a git repository|Repository not found|repository '[^']*' not found|The requested URL returned error: 404|HTTP 404|not a git repository/i.test(
      stderr,
    )
  ) {
    return 'not-found';
  }
  if (/\[rejected\]|non-fast-forward|fetch first|\(stale info\)/i.test(stderr)) return 'conflict';
  if (
    /Could not resolve host|Connection refused|Connection timed out|Failed to connect|Could not read from remote repository|SSL certificate problem|server certificate verification failed|unable to access|Connection reset|Connection closed|kex_exchange_identification|No route to host/i.test(
      stderr,
    )
  ) {
    return 'unreachable';
  }
  return 'failed';
}

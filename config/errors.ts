/**
 * ConfigError: every problem of a config at once, each with its path and, where known, its line.
 * @module
 */

/** One problem in a config. */
export interface ConfigIssue {
  /** Dotted path ("pdus.apc01.community"); empty for the whole document. */
  path: string;
  /** What is wrong and what was expected. */
  message: string;
  /** 1-based line in the source, when the source was text. */
  line?: number;
  /** 1-based column, where the parser says (JSON syntax errors). */
  column?: number;
}

/** A config that cannot be used; nothing of it was loaded. */
export class ConfigError extends Error {
  /** Every problem found. */
  readonly issues: readonly ConfigIssue[];
  /** The file (or "config", "the new config"), for one-line reports. */
  readonly source: string;

  /**
   * @param issues every problem found
   * @param source the file name, for the message
   */
  constructor(issues: readonly ConfigIssue[], source = "config", options?: ErrorOptions) {
    super(
      `${source} has ${issues.length} problem${issues.length === 1 ? "" : "s"}:\n` +
        issues.map((i) => `  ${formatIssue(i)}`).join("\n"),
      options,
    );
    this.name = "ConfigError";
    this.issues = issues;
    this.source = source;
  }
}

/**
 * One line per problem: "FILE: pdus.apc01.community (line 12): required", or for the whole file
 * "FILE (line 2, column 39): not valid JSON: …".
 */
export function issueLines(error: ConfigError): string[] {
  return error.issues.map((issue) =>
    issue.path
      ? `${error.source}: ${formatIssue(issue)}`
      : `${error.source}${lineAt(issue)}: ${issue.message}`
  );
}

/** "pdus.apc01.community (line 12): required" */
export function formatIssue(issue: ConfigIssue): string {
  return `${issue.path || "(top level)"}${lineAt(issue)}: ${issue.message}`;
}

function lineAt(issue: ConfigIssue): string {
  if (!issue.line) return "";
  return ` (line ${issue.line}${issue.column ? `, column ${issue.column}` : ""})`;
}

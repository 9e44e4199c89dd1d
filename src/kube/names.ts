/**
 * Kubernetes names, checked the way the API server checks them (k8s.io/apimachinery/pkg/util/
 * validation), before a value taken from an alert reaches a request. Alert labels are
 * attacker-controlled: `..`, `a/b` or a newline in a namespace or name would change the request
 * path (`/api/v1/namespaces/prod/pods/..` is the Namespace itself), and 300 characters would only
 * fail later with a 422 or 404.
 *
 * - a Namespace name is a DNS-1123 label (`ValidateNamespaceName` = `NameIsDNSLabel`, at most 63);
 * - Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, HorizontalPodAutoscaler, Job, ConfigMap,
 *   Lease and Event names are DNS-1123 subdomains (`NameIsDNSSubdomain`, at most 253);
 * - `env[].name` follows `IsEnvVarName`, the strict rule of every API server before 1.32.
 *
 * Lengths are Go's `len()`: UTF-8 bytes, not UTF-16 code units; each check looks at the length
 * first, so its cost is bounded whatever the input. Pure and importing nothing, so that the
 * planner (which refuses such a target when the plan is made), the adapter (which builds the
 * URLs, its last line of defence) and the actions share one rule.
 */

export const DNS1123_LABEL_MAX_LENGTH = 63;
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;

const LABEL = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL = new RegExp(`^${LABEL}$`);
const DNS1123_SUBDOMAIN = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
/** `envVarNameFmt`: the rule before the RelaxedEnvironmentVariableValidation gate (1.32). */
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Go's `len()` of a string: its UTF-8 byte count (a lone surrogate becomes U+FFFD, 3 bytes). */
export function utf8Length(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

const LABEL_RULE = `a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit, at most ${DNS1123_LABEL_MAX_LENGTH} characters)`;
const SUBDOMAIN_RULE = `a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit, at most ${DNS1123_SUBDOMAIN_MAX_LENGTH} characters)`;

/** IsDNS1123Label: namespaces, container names. */
export function dns1123LabelProblem(value: string): string | undefined {
  return fits(value, DNS1123_LABEL_MAX_LENGTH, DNS1123_LABEL) ? undefined : `must be ${LABEL_RULE}`;
}

/** IsDNS1123Subdomain: the names of Deployments, Pods, Jobs, ConfigMaps, Leases, Events... */
export function dns1123SubdomainProblem(value: string): string | undefined {
  return fits(value, DNS1123_SUBDOMAIN_MAX_LENGTH, DNS1123_SUBDOMAIN)
    ? undefined
    : `must be ${SUBDOMAIN_RULE}`;
}

/** The length first (UTF-16 units never outnumber UTF-8 bytes), so a huge value costs little. */
function fits(value: string, maxBytes: number, pattern: RegExp): boolean {
  return value.length <= maxBytes && utf8Length(value) <= maxBytes && pattern.test(value);
}

/** The naming rule of each kind remediator names from alerts. */
const RULES = {
  Namespace: dns1123LabelProblem,
  Pod: dns1123SubdomainProblem,
  Deployment: dns1123SubdomainProblem,
  ReplicaSet: dns1123SubdomainProblem,
  StatefulSet: dns1123SubdomainProblem,
  DaemonSet: dns1123SubdomainProblem,
  HorizontalPodAutoscaler: dns1123SubdomainProblem,
  // A custom resource: the API server asks only for a DNS-1123 subdomain.
  InferenceService: dns1123SubdomainProblem,
} as const satisfies Record<string, (value: string) => string | undefined>;

export type NamedKind = keyof typeof RULES;

/** Why `name` cannot name an object of `kind`, or undefined when it can. */
export function objectNameProblem(kind: NamedKind, name: string): string | undefined {
  return RULES[kind](name);
}

/**
 * IsEnvVarName, the strict rule every API server before 1.32 applies to `env[].name` (1.30 and
 * 1.31 only relax it behind a feature gate): letters, digits, `_`, `-` and `.`, not starting with
 * a digit, and not `.`, `..` or anything starting with `..`. A name that breaks it gets a 422.
 */
export function envVarNameProblem(value: string): string | undefined {
  if (!ENV_VAR_NAME.test(value)) {
    return "must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit";
  }
  if (value === '.' || value === '..' || value.startsWith('..')) {
    return "must not be '.' or '..', nor start with '..'";
  }
  return undefined;
}

const QUOTE_MAX_LENGTH = 64;

/**
 * A value from an alert, quoted for a message: JSON-escaped, every character outside printable
 * ASCII written as `\uXXXX` (no newline, control or bidirectional character reaches a log or a
 * timeline), and cut to 64 characters with its full length said.
 */
export function quoteName(value: string): string {
  const cut = value.length > QUOTE_MAX_LENGTH ? value.slice(0, QUOTE_MAX_LENGTH) : value;
  const quoted = JSON.stringify(cut).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return cut === value ? quoted : `${quoted}... (${value.length} characters)`;
}

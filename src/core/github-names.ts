/**
 * What GitHub accepts as a repository, a secret name and an environment name, so that a name from a
 * team's file can only ever be one path segment of the API (`environment: ".."` made Octokit ask
 * for `/repos/o/r/environments/../secrets/X`, which URL normalisation turns into the repository's
 * own secret). Each function returns what is wrong, or null.
 */

// docs.github.com/en/actions/reference/security/secrets ("Naming your secrets"): only [a-z], [A-Z],
// [0-9] or _, not starting with the GITHUB_ prefix nor a number; stored as upper case, so the
// prefix is refused in any case.
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Repository names: ASCII letters, digits, `.`, `-` and `_`, at most 100 characters
// (docs.github.com/en/repositories/creating-and-managing-repositories/repository-limits).
const REPOSITORY_NAME = /^[A-Za-z0-9._-]{1,100}$/;
// Owners (users and organizations): letters, digits and hyphens, not starting with a hyphen
// (GitHub's sign-up validation); `_` as well, which Enterprise Managed Users' `login_shortcode` has.
const OWNER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

// Environment names: GitHub says only "not case sensitive" and "may not exceed 255 characters"
// (docs.github.com/en/actions/how-tos/deploy/configure-and-manage-deployments/manage-environments);
// the rest is ours: nothing that could end or change a URL path segment.
const ENVIRONMENT_MAX = 255;
// C0 controls, DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function secretNameProblem(name: string): string | null {
  if (!SECRET_NAME.test(name))
    return `secret name "${printable(name)}" may hold only letters, digits and _, and may not start with a digit`;
  if (/^github_/i.test(name)) return `secret name "${printable(name)}" starts with GITHUB_, which GitHub reserves`;
  return null;
}

/** `owner/name`. */
export function repositoryProblem(repository: string): string | null {
  const parts = repository.split('/');
  if (parts.length !== 2) return `repository must be written owner/name, not "${printable(repository)}"`;
  const [owner, name] = parts as [string, string];
  if (!OWNER_NAME.test(owner))
    return `repository owner "${printable(owner)}" is not a GitHub user or organization name (letters, digits, - and _)`;
  if (!REPOSITORY_NAME.test(name) || name === '.' || name === '..') {
    return `repository name "${printable(name)}" is not a GitHub repository name (letters, digits, ., - and _, at most 100)`;
  }
  return null;
}

export function environmentProblem(environment: string): string | null {
  const what = `environment "${printable(environment)}"`;
  if (environment.trim() === '') return 'environment name is empty';
  if (environment.length > ENVIRONMENT_MAX)
    return `environment name is ${environment.length} characters; GitHub allows at most ${ENVIRONMENT_MAX}`;
  if (CONTROL.test(environment)) return `${what} holds a control character`;
  if (/[/\\%?#]/.test(environment)) return `${what} holds one of / \\ % ? #, which would change the API path it names`;
  if (environment.includes('..') || environment === '.') return `${what} holds "..", which would change the API path it names`;
  if (environment !== environment.trim()) return `${what} starts or ends with a space`;
  return null;
}

/** The name as it may appear in a message: control characters shown as \\uXXXX, long names cut. */
function printable(text: string): string {
  const shown = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`); // eslint-disable-line no-control-regex
  return shown.length > 120 ? `${shown.slice(0, 120)}…` : shown;
}

import { EXIT, parseCommandLine, usageError, type CommandIo } from './command';

export const APPROVE_USAGE = `Usage: remediator approve PLAN [--by NAME] [--comment TEXT] [--url URL]
       remediator deny PLAN [--by NAME] [--comment TEXT] [--url URL]

Answers the approval request of plan PLAN (a policy with \`approval:\`) on a running
\`remediator serve\`, through POST /api/v1/plans/PLAN/approve or /deny. An approval runs the
plan's step at once, every safety gate checked again; a denial writes nothing and escalates.
The pending requests are listed at GET /api/v1/approvals and on the console's Approvals page.

  --by NAME       who answers, for the timeline, the report and the Event [default: $USER]
  --comment TEXT  why (at most 500 characters)
  --url URL       the server [default: $REMEDIATOR_URL, else http://127.0.0.1:$REMEDIATOR_PORT or 9095]

The API's write credentials come from the same environment variables as the server's:
REMEDIATOR_WEBHOOK_TOKEN_FILE or REMEDIATOR_WEBHOOK_TOKEN (a bearer token), or
REMEDIATOR_WEBHOOK_USERNAME[_FILE] and REMEDIATOR_WEBHOOK_PASSWORD[_FILE].

Exit status: 0 when recorded, 1 when the server refused it (not awaiting approval: 409, no such
plan, wrong credentials) or could not be reached, 2 on a usage error.`;

export interface ApproveDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => string;
  readonly fetch?: typeof fetch;
}

/** `remediator approve|deny PLAN`: one API write; resolves with the exit code. */
export async function approveCommand(
  verb: 'approve' | 'deny',
  argv: readonly string[],
  io: CommandIo,
  deps: ApproveDeps,
): Promise<number> {
  const args = parseCommandLine(
    verb,
    argv,
    { by: { type: 'string' }, comment: { type: 'string' }, url: { type: 'string' } },
    io,
  );
  if (args === undefined) return EXIT.usage;
  if (args.values.help === true) {
    io.out(`${APPROVE_USAGE}\n`);
    return EXIT.ok;
  }
  const [planText, ...extra] = args.positionals;
  const plan = Number(planText);
  if (planText === undefined || extra.length > 0 || !Number.isSafeInteger(plan) || plan < 1)
    return usageError(verb, 'give one plan id', io);
  const { env } = deps;
  const by = args.values.by ?? env.USER ?? env.LOGNAME;
  if (by === undefined || by.trim() === '')
    return usageError(verb, 'say who answers with --by NAME', io);
  const base =
    args.values.url ?? env.REMEDIATOR_URL ?? `http://127.0.0.1:${env.REMEDIATOR_PORT ?? '9095'}`;
  let url: URL;
  try {
    url = new URL(`/api/v1/plans/${plan}/${verb}`, base);
  } catch {
    return usageError(verb, '--url is not a URL such as http://127.0.0.1:9095', io);
  }
  if (!/^https?:$/.test(url.protocol) || url.username !== '' || url.password !== '')
    return usageError(
      verb,
      '--url must be http(s), with no credentials in it (they come from the environment)',
      io,
    );
  let authorization: string | undefined;
  try {
    authorization = credentials(env, deps.readFile);
  } catch (err) {
    io.err(`remediator ${verb}: ${(err as Error).message}\n`);
    return EXIT.failed;
  }
  const send = deps.fetch ?? ((input, init) => fetch(input, init));
  let res: Response;
  try {
    res = await send(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(authorization === undefined ? {} : { authorization }),
      },
      body: JSON.stringify({
        by: by.trim(),
        ...(args.values.comment === undefined ? {} : { comment: args.values.comment }),
      }),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    io.err(`remediator ${verb}: cannot reach ${url.origin}: ${code}\n`);
    return EXIT.failed;
  }
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON: only the status is reported.
  }
  if (res.status !== 200) {
    const message = typeof body.message === 'string' ? body.message : `HTTP ${res.status}`;
    io.err(`remediator ${verb}: ${res.status}: ${message}\n`);
    return EXIT.failed;
  }
  const outcome = typeof body.outcome === 'string' ? `; ${body.outcome}` : '';
  io.out(
    `plan ${plan} ${verb === 'approve' ? 'approved' : 'denied'} by ${by.trim()} (status ${String(body.status)})${outcome}\n`,
  );
  return EXIT.ok;
}

/** The API's write credentials, as `Authorization`, from the server's own variables. */
function credentials(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string,
): string | undefined {
  const value = (name: string): string | undefined => {
    const file = env[`${name}_FILE`];
    if (file !== undefined && file !== '') {
      try {
        return readFile(file).trim();
      } catch (err) {
        throw new Error(
          `cannot read ${name}_FILE (${file}): ${(err as NodeJS.ErrnoException).code ?? 'read error'}`,
        );
      }
    }
    const direct = env[name];
    return direct === undefined || direct === '' ? undefined : direct;
  };
  const token = value('REMEDIATOR_WEBHOOK_TOKEN');
  if (token !== undefined) return `Bearer ${token}`;
  const user = value('REMEDIATOR_WEBHOOK_USERNAME');
  const password = value('REMEDIATOR_WEBHOOK_PASSWORD');
  if (user !== undefined && password !== undefined)
    return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  return undefined;
}

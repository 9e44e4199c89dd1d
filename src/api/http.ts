import type express from 'express';

/** A route whose other methods get a JSON 405 naming the allowed ones. */
export function route(
  app: express.Express,
  path: string,
  allowed: readonly string[] = ['GET', 'HEAD'],
) {
  const r = app.route(path);
  r.all((req, res, next) => {
    if (allowed.includes(req.method)) {
      next();
      return;
    }
    res.setHeader('Allow', allowed.join(', '));
    res
      .status(405)
      .json({ error: 'method_not_allowed', message: `${req.method} is not allowed on ${path}` });
  });
  return r;
}

/** The request target's path: origin-form (`/webhook?x`) or absolute-form (`http://host/webhook`). */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  let path = url;
  // RFC 9112 §3.2.2: a server must accept the absolute form, as proxies send it.
  const authority = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(path);
  if (authority !== null) path = path.slice(authority[0].length);
  const end = path.search(/[?#]/);
  path = end < 0 ? path : path.slice(0, end);
  return path === '' ? '/' : path;
}

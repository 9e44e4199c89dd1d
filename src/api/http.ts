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

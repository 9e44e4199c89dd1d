import { connect, createServer, type Server } from 'node:net';

/**
 * Ports on 127.0.0.1 that the OS says are free: each is bound on port 0, read, and released only
 * once all of them are bound, so that one call never hands out the same port twice. A process
 * started later on one of them may still, rarely, find it taken by someone else: it then fails
 * at start-up with "address already in use", which the harness reports.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => {
      const address = s.address();
      if (address === null || typeof address === 'string') throw new Error('no port was bound');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('no free port');
  return port;
}

/**
 * Whether a TCP connection to `host:port` is refused: how a test tells that a server it stopped
 * is really gone, not merely slow. Bounded: a connection neither accepted nor refused within
 * `timeoutMs` counts as not refused.
 */
export function refusesConnections(
  port: number,
  host = '127.0.0.1',
  timeoutMs = 2000,
): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (refused: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(refused);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(false));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED'));
  });
}

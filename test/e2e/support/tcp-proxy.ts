import { connect, createServer, type Socket } from 'node:net';

/**
 * A round-robin TCP proxy on 127.0.0.1, standing in for the load balancer (a Kubernetes Service)
 * in front of several `remediator serve` replicas in issue 15's scenarios: Alertmanager and the
 * tests talk to one address, and each new connection lands on the next replica.
 */
export interface TcpProxy {
  /** The port it listens on (127.0.0.1, picked by the OS). */
  readonly port: number;
  /** `<scheme>://127.0.0.1:<port>`. */
  url(scheme?: string): string;
  /** Client connections accepted so far, forwarded or not. */
  readonly connections: number;
  /** Connections forwarded to each target, by the targets' index (a copy). */
  readonly perTarget: number[];
  /**
   * Replaces the targets: new connections go to these, starting with the first; connections
   * already forwarded stay where they are. `perTarget` starts again at zeros for the new list.
   */
  setTargets(targets: readonly ProxyTarget[]): void;
  /**
   * Destroys every open connection, both sides, and keeps listening: clients that keep their
   * connections alive (Alertmanager does) must then connect again, and land on the next target.
   */
  dropConnections(): void;
  /** Stops listening and destroys every connection, both sides. */
  close(): Promise<void>;
}

export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * How long one target may take to accept before the next is tried: a refusal on loopback is
 * immediate, so this only bounds a target that neither accepts nor refuses (a stopped process).
 */
const CONNECT_TIMEOUT_MS = 2000;

/**
 * Starts the proxy. Round robin by connection: the n-th client connection goes to target
 * n mod k. A target that refuses (a replica that is down) is skipped for the next one in turn, so
 * connections fail only when every target refuses; they are then closed at once.
 */
export async function startTcpProxy(initial: readonly ProxyTarget[]): Promise<TcpProxy> {
  let targets = [...initial];
  let perTarget = targets.map(() => 0);
  let next = 0;
  let connections = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  /** Connects to the targets from `first` on, in turn; resolves with the first that accepts. */
  const connectUpstream = async (
    list: readonly ProxyTarget[],
    first: number,
    client: Socket,
  ): Promise<{ upstream: Socket; index: number } | undefined> => {
    for (let attempt = 0; attempt < list.length; attempt++) {
      if (client.destroyed) return undefined;
      const index = (first + attempt) % list.length;
      const target = list[index];
      if (target === undefined) continue;
      const upstream = await new Promise<Socket | undefined>((resolve) => {
        // Half-open allowed: a client that ends its request still gets the whole answer.
        const socket = connect({ host: target.host, port: target.port, allowHalfOpen: true });
        track(socket);
        socket.setTimeout(CONNECT_TIMEOUT_MS);
        socket.once('connect', () => {
          socket.setTimeout(0);
          socket.removeAllListeners('timeout');
          resolve(socket);
        });
        socket.once('timeout', () => {
          socket.destroy();
          resolve(undefined);
        });
        socket.once('error', () => {
          socket.destroy();
          resolve(undefined);
        });
      });
      if (upstream !== undefined) return { upstream, index };
    }
    return undefined;
  };

  const server = createServer({ allowHalfOpen: true }, (client) => {
    connections++;
    track(client);
    // Whatever the client sends before the target accepted waits in the socket's buffer.
    client.pause();
    client.on('error', () => client.destroy());
    const list = targets;
    const counts = perTarget;
    const first = list.length === 0 ? 0 : next++ % list.length;
    void connectUpstream(list, first, client).then((found) => {
      if (found === undefined || client.destroyed) {
        found?.upstream.destroy();
        client.destroy();
        return;
      }
      const { upstream, index } = found;
      // Counted only while the list is current: after setTargets the old counts are gone.
      if (counts === perTarget) counts[index] = (counts[index] ?? 0) + 1;
      upstream.on('error', () => upstream.destroy());
      // Either side gone for good (closed, reset, errored): the other goes too.
      upstream.once('close', () => client.destroy());
      client.once('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('tcp proxy: no port');
  const port = address.port;

  let closed: Promise<void> | undefined;
  return {
    port,
    url: (scheme = 'http') => `${scheme}://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    get perTarget() {
      return [...perTarget];
    },
    setTargets(list) {
      targets = [...list];
      perTarget = targets.map(() => 0);
      next = 0;
    },
    dropConnections() {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      })),
  };
}

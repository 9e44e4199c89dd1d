import { connect, createServer, type Server, type Socket } from 'node:net';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';

/**
 * The round-robin proxy issue 15's scenarios put in front of three replicas: connections must be
 * spread one by one, and a replica that is down must cost no connection while others are up.
 */

interface Echo {
  readonly port: number;
  readonly server: Server;
  /** Closes the listener and every open connection: the target now refuses. */
  close(): Promise<void>;
}

/** A TCP server that answers `<name>:<everything the client sent>` once the client ended. */
async function startEcho(name: string): Promise<Echo> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => socket.end(`${name}:${Buffer.concat(chunks).toString('utf8')}`));
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('echo: no port');
  return {
    port: address.port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/**
 * Sends `message` through the proxy, ends, and resolves with the whole answer; rejects if the
 * connection is dropped without one. Bounded by 5 s.
 */
function exchange(port: number, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${message} within 5 s`));
    }, 5000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const answer = Buffer.concat(chunks).toString('utf8');
      if (answer === '')
        reject(new Error(`the connection for ${message} closed without an answer`));
      else resolve(answer);
    });
    socket.end(message);
  });
}

let echoes: Echo[] = [];
let proxy: TcpProxy | undefined;

beforeEach(async () => {
  echoes = await Promise.all(['a', 'b', 'c'].map(startEcho));
  proxy = await startTcpProxy(echoes.map((e) => ({ host: '127.0.0.1', port: e.port })));
});

afterEach(async () => {
  await proxy?.close();
  await Promise.all(echoes.map((e) => e.close()));
});

it('spreads connections round robin, one by one, and forwards both ways', async () => {
  const p = proxy!;
  expect(p.url()).toBe(`http://127.0.0.1:${p.port}`);
  expect(p.url('postgres')).toBe(`postgres://127.0.0.1:${p.port}`);
  const answers: string[] = [];
  for (let i = 0; i < 9; i++) answers.push(await exchange(p.port, `ping${i}`));
  expect(answers).toEqual([
    'a:ping0',
    'b:ping1',
    'c:ping2',
    'a:ping3',
    'b:ping4',
    'c:ping5',
    'a:ping6',
    'b:ping7',
    'c:ping8',
  ]);
  expect(p.connections).toBe(9);
  expect(p.perTarget).toEqual([3, 3, 3]);
});

it('spreads concurrent connections evenly too, and carries large bodies intact', async () => {
  const p = proxy!;
  const body = 'x'.repeat(1024 * 1024);
  const answers = await Promise.all(
    Array.from({ length: 12 }, (_, i) => exchange(p.port, `${i}:${body}`)),
  );
  answers.forEach((answer, i) => expect(answer.slice(2)).toBe(`${i}:${body}`));
  const byTarget = ['a', 'b', 'c'].map(
    (name) => answers.filter((a) => a.startsWith(`${name}:`)).length,
  );
  expect(byTarget).toEqual([4, 4, 4]);
  expect(p.perTarget).toEqual([4, 4, 4]);
});

it('skips a target that is down: every connection still gets an answer from the others', async () => {
  const p = proxy!;
  await echoes[1]!.close();
  const answers: string[] = [];
  for (let i = 0; i < 6; i++) answers.push(await exchange(p.port, `ping${i}`));
  // b's turns go to the next in line, c.
  expect(answers.map((a) => a[0])).toEqual(['a', 'c', 'c', 'a', 'c', 'c']);
  expect(p.connections).toBe(6);
  expect(p.perTarget).toEqual([2, 0, 4]);
});

it('closes the connection when every target is down, and keeps serving once one is back', async () => {
  const p = proxy!;
  await Promise.all(echoes.map((e) => e.close()));
  await expect(exchange(p.port, 'nobody')).rejects.toThrow(/without an answer/);
  expect(p.connections).toBe(1);
  expect(p.perTarget).toEqual([0, 0, 0]);

  const back = await startEcho('d');
  echoes.push(back);
  p.setTargets([{ host: '127.0.0.1', port: back.port }]);
  expect(await exchange(p.port, 'again')).toBe('d:again');
  expect(p.connections).toBe(2);
  expect(p.perTarget).toEqual([1]);
});

it('destroys open connections on close()', async () => {
  const p = proxy!;
  const socket = connect({ host: '127.0.0.1', port: p.port });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('half a request');
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await p.close();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    closed.then(() => 'closed'),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still open'), 5000))),
  ]);
  clearTimeout(timer);
  expect(outcome).toBe('closed');
  await expect(exchange(p.port, 'after close')).rejects.toThrow(/ECONNREFUSED/);
});

it('dropConnections() cuts open connections but keeps listening: the next connection goes to the next target', async () => {
  const p = proxy!;
  const socket = connect({ host: '127.0.0.1', port: p.port });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('kept alive');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  p.dropConnections();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    closed.then(() => 'closed'),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still open'), 5000))),
  ]);
  clearTimeout(timer);
  expect(outcome).toBe('closed');
  expect(await exchange(p.port, 'again')).toBe('b:again');
  expect(p.perTarget).toEqual([1, 1, 0]);
});

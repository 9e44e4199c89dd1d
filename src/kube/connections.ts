import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';

/** TLS settings an agent's connections are made with: agents differing only elsewhere are alike. */
const TLS_OPTIONS = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'rejectUnauthorized',
  'servername',
] as const;

/**
 * Idle connections are closed well before the API server's own idle timeout (90 s), so a request
 * is never written to a connection the server is closing.
 */
const IDLE_TIMEOUT_MS = 30_000;

/** Kept at most; a rotated client certificate makes a new agent, and rotations are rare. */
const MAX_AGENTS = 4;

/**
 * Connection reuse for client-node 1.4.0, which builds a new http(s).Agent for every request
 * (`KubeConfig.createAgent`): every call would open a TCP connection and, against a real API
 * server, go through a TLS handshake. `reuse` swaps that agent for a keep-alive one made with
 * the same TLS settings, one per distinct set. Proxy agents (their own classes) are left as they
 * are. The settings include key material, so agents are looked up by a digest, never by the
 * settings themselves.
 */
export class AgentPool {
  // Idle connections hold no reference to the process (Node unrefs them), so nothing to close.
  private readonly agents = new Map<string, http.Agent>();

  reuse<A extends http.Agent | undefined>(agent: A): A | http.Agent {
    if (agent === undefined) return agent;
    const isHttps = agent.constructor === https.Agent;
    if (!isHttps && agent.constructor !== http.Agent) return agent;
    const options = (agent as http.Agent & { options: Record<string, unknown> }).options;
    const tls = Object.fromEntries(TLS_OPTIONS.map((name) => [name, fingerprint(options[name])]));
    const key = createHash('sha256').update(JSON.stringify({ isHttps, tls })).digest('hex');
    let pooled = this.agents.get(key);
    if (pooled === undefined) {
      const settings = Object.fromEntries(TLS_OPTIONS.map((name) => [name, options[name]]));
      const keepAlive = { ...settings, keepAlive: true, timeout: IDLE_TIMEOUT_MS };
      pooled = isHttps ? new https.Agent(keepAlive) : new http.Agent(keepAlive);
      this.agents.set(key, pooled);
      // The oldest is dropped, not destroyed: requests on it finish, its idle connections time out.
      const [oldest] = this.agents.keys();
      if (this.agents.size > MAX_AGENTS && oldest !== undefined) this.agents.delete(oldest);
    }
    return pooled;
  }
}

/** A setting as something JSON can hold and compare: buffers and strings by their digest. */
function fingerprint(value: unknown): unknown {
  if (value === undefined || typeof value === 'boolean') return value ?? null;
  if (Array.isArray(value)) return value.map(fingerprint);
  const bytes = Buffer.isBuffer(value)
    ? value
    : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  return createHash('sha256').update(bytes).digest('hex');
}

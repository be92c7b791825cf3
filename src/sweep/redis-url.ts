// Redis URLs, parsed by hand because WHATWG URL parsing ends the authority at the first '?', '#' or
// '/', so a password holding one of them (common in generated passwords) yields the wrong host and
// leaks the rest of the password into the path. Here the LAST '@' ends the credentials, which are
// percent-decoded when they are valid escapes and taken as typed otherwise. Messages never quote them.

import { UserError } from '../util/user-error.ts';

/** A parsed Redis URL: options to connect with, and a name for the server that is safe to print. */
export interface RedisTarget {
  connection: { host: string; port: number; username?: string; password?: string; db?: number; tls?: object };
  display: string;
}

/** Bad queue input (URL, payload, result), or an unreachable Redis: the CLI prints it as one line. */
export class QueueError extends UserError {
  override name = 'QueueError';
}

const MAX_URL_LENGTH = 4096;
const MAX_DB = 1_000_000;

function decodeCredential(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a literal '%' that is not an escape
  }
}

/** redis://[user:password@]host[:port][/db] or rediss:// (TLS). Errors never repeat the credentials. */
export function parseRedisUrl(text: string): RedisTarget {
  const fail = (why: string): never => {
    throw new QueueError(`--queue: ${why}`);
  };
  if (typeof text !== 'string' || text.length > MAX_URL_LENGTH) return fail('not a URL; expected redis://HOST:PORT');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text);
  if (!scheme) return fail('not a URL; expected redis://HOST:PORT');
  const protocol = scheme[1]!.toLowerCase();
  if (protocol !== 'redis' && protocol !== 'rediss') return fail(`scheme '${protocol.slice(0, 20)}:' is not redis: or rediss:`);
  const rest = text.slice(scheme[0].length);
  const at = rest.lastIndexOf('@');
  const userinfo = at >= 0 ? rest.slice(0, at) : undefined;
  const address = at >= 0 ? rest.slice(at + 1) : rest;
  const parts = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(?::(\d{1,5}))?(?:\/(\d{1,7})?)?\/?$/.exec(address);
  if (!parts) {
    if (address === '' || address.startsWith(':') || address.startsWith('/')) return fail('the URL names no host');
    if (/^[^/]*\/./.test(address)) return fail('the path after the host is not a database number');
    return fail('expected HOST[:PORT][/DB] after the credentials (no query or fragment)');
  }
  const hostText = parts[1]!;
  const host = hostText.replace(/^\[|\]$/g, '');
  const port = parts[2] === undefined ? 6379 : Number(parts[2]);
  if (port < 1 || port > 65535) return fail(`port ${port} is not from 1 to 65535`);
  const db = parts[3] === undefined ? undefined : Number(parts[3]);
  if (db !== undefined && db > MAX_DB) return fail(`database ${db} is not from 0 to ${MAX_DB}`);
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    const pass = colon >= 0 ? userinfo.slice(colon + 1) : '';
    if (user !== '') username = decodeCredential(user);
    if (pass !== '') password = decodeCredential(pass);
  }
  return {
    connection: {
      host,
      port,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(db !== undefined ? { db } : {}),
      ...(protocol === 'rediss' ? { tls: {} } : {}),
    },
    display: `${protocol}://${hostText}:${port}${db !== undefined ? `/${db}` : ''}`,
  };
}

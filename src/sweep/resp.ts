// A small Redis (RESP2) connection for BullMQ when its usual driver, ioredis, is not installed:
// BullMQ v6 treats ioredis as an optional peer and adapts other clients; this one has the surface
// of Bun's RedisClient (send, connected, onconnect/onclose, duplicate), so BullMQ's own Bun adapter
// does the rest (scripts, pipelines, transactions, reconnects).
//
// `useBullmqConnection()` installs it as BullMQ's client factory only when ioredis cannot be
// loaded; with ioredis in node_modules BullMQ's standard path is used and this file is idle.

import { createConnection, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { createRequire } from 'node:module';
import { RedisConnection, createBunRedisClient } from 'bullmq';

export interface RespOptions {
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: object;
  connectTimeout?: number;
}

type Reply = string | number | null | Error | Reply[];
type Pending = { resolve: (r: Reply) => void; reject: (e: Error) => void };

/** Incremental RESP2 reader: feed bytes, take complete replies. */
class ReplyReader {
  private buffer: Buffer = Buffer.alloc(0);
  private offset = 0;

  feed(chunk: Buffer): void {
    this.buffer = this.offset < this.buffer.length ? Buffer.concat([this.buffer.subarray(this.offset), chunk]) : chunk;
    this.offset = 0;
  }

  /** The next complete reply, or undefined when more bytes are needed. */
  next(): { reply: Reply } | undefined {
    const start = this.offset;
    const parsed = this.parse();
    if (parsed === undefined) this.offset = start;
    return parsed;
  }

  private line(): string | undefined {
    const end = this.buffer.indexOf('\r\n', this.offset);
    if (end < 0) return undefined;
    const text = this.buffer.toString('utf8', this.offset, end);
    this.offset = end + 2;
    return text;
  }

  private parse(): { reply: Reply } | undefined {
    if (this.offset >= this.buffer.length) return undefined;
    const type = String.fromCharCode(this.buffer[this.offset]!);
    this.offset++;
    const head = this.line();
    if (head === undefined) return undefined;
    switch (type) {
      case '+':
        return { reply: head };
      case '-':
        return { reply: new Error(head) };
      case ':':
        return { reply: Number(head) };
      case '$': {
        const length = Number(head);
        if (length < 0) return { reply: null };
        if (this.buffer.length < this.offset + length + 2) return undefined;
        const text = this.buffer.toString('utf8', this.offset, this.offset + length);
        this.offset += length + 2;
        return { reply: text };
      }
      case '*': {
        const count = Number(head);
        if (count < 0) return { reply: null };
        const items: Reply[] = [];
        for (let i = 0; i < count; i++) {
          const item = this.parse();
          if (item === undefined) return undefined;
          items.push(item.reply);
        }
        return { reply: items };
      }
      default:
        throw new Error(`Redis protocol error: unexpected reply type '${type}'`);
    }
  }
}

function encodeCommand(command: string, args: readonly unknown[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length + 1}\r\n`)];
  for (const arg of [command, ...args]) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(arg === undefined || arg === null ? '' : String(arg));
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** The subset of Bun's RedisClient that BullMQ's Bun adapter uses. */
export class RespClient {
  connected = false;
  onconnect: (() => void) | undefined;
  onclose: ((error?: Error) => void) | undefined;
  onerror: ((error: Error) => void) | undefined;
  private socket: Socket | undefined;
  private readonly pending: Pending[] = [];
  private readonly reader = new ReplyReader();
  private closedByUs = false;

  constructor(private readonly options: RespOptions) {}

  connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    const { host = '127.0.0.1', port = 6379 } = this.options;
    return new Promise((resolve, reject) => {
      const socket = this.options.tls ? tlsConnect({ host, port, servername: host }) : createConnection({ host, port });
      this.socket = socket;
      socket.setNoDelay(true);
      const timer = setTimeout(() => socket.destroy(Object.assign(new Error('Connection has failed'), { code: 'ETIMEDOUT' })), this.options.connectTimeout ?? 10_000);
      let established = false;
      socket.once(this.options.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        this.connected = true;
        established = true;
        void this.handshake().then(
          () => {
            this.onconnect?.();
            resolve();
          },
          (error: Error) => {
            reject(error);
            socket.destroy();
          },
        );
      });
      socket.on('data', (chunk: Buffer) => this.receive(chunk));
      socket.on('error', (error) => {
        clearTimeout(timer);
        if (!established) {
          reject(error);
          // Like Bun's client: a failed connect is a close with an error, which makes the adapter retry.
          this.onclose?.(error);
        } else this.onerror?.(error);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        const wasConnected = this.connected;
        this.connected = false;
        const error = new Error('Connection closed');
        for (const p of this.pending.splice(0)) p.reject(error);
        if (wasConnected) this.onclose?.(this.closedByUs ? undefined : error);
      });
    });
  }

  private async handshake(): Promise<void> {
    const { username, password, db } = this.options;
    if (password !== undefined) await this.send('AUTH', username !== undefined ? [username, password] : [password]);
    if (db !== undefined && db !== 0) await this.send('SELECT', [String(db)]);
  }

  send(command: string, args: readonly unknown[] = []): Promise<unknown> {
    const socket = this.socket;
    if (!socket || !this.connected) return Promise.reject(new Error('Connection closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      socket.write(encodeCommand(command, args));
    });
  }

  private receive(chunk: Buffer): void {
    this.reader.feed(chunk);
    for (let next = this.reader.next(); next !== undefined; next = this.reader.next()) {
      const waiter = this.pending.shift();
      if (!waiter) continue;
      // Errors nested in an EXEC reply stay values; a top-level error rejects the command.
      if (next.reply instanceof Error) waiter.reject(next.reply);
      else waiter.resolve(next.reply);
    }
  }

  close(): void {
    this.closedByUs = true;
    this.socket?.destroy();
  }

  async duplicate(): Promise<RespClient> {
    return new RespClient(this.options);
  }
}

let installed = false;

/** Make BullMQ connect through RespClient when ioredis is missing; idempotent. */
export function useBullmqConnection(): void {
  if (installed) return;
  installed = true;
  try {
    createRequire(import.meta.url).resolve('ioredis');
    return;
  } catch {
    // Not installed: fall through to the built-in connection.
  }
  RedisConnection.clientFactory = (opts) => {
    const o = opts as RespOptions & { lazyConnect?: boolean };
    const raw = new RespClient({
      ...(o.host !== undefined ? { host: o.host } : {}),
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(o.db !== undefined ? { db: o.db } : {}),
      ...(o.tls !== undefined ? { tls: o.tls } : {}),
    });
    return createBunRedisClient(raw as never, o.lazyConnect ? { lazyConnect: true } : {}) as never;
  };
}

export function freePort(): Promise<number>;

export interface RedisServer {
  port: number;
  url: string;
  pid: number | undefined;
  start(): Promise<void>;
  /** SIGKILL: an outage. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export interface MariadbServer {
  port: number;
  pid: number | undefined;
  /** mysql://wxauth:wxauth@127.0.0.1:<port>, without a database. */
  url: string;
  start(): Promise<void>;
  /** SIGKILL: a crash; start() again runs crash recovery on the same data. */
  stop(): Promise<void>;
  createDatabase(prefix?: string): Promise<string>;
  close(): Promise<void>;
}

export function startRedis(): Promise<RedisServer>;
export function createDatabase(serverUrl: string, prefix?: string): Promise<string>;
export function startMariadb(options?: { bufferPool?: string }): Promise<MariadbServer>;

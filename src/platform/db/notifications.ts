import { sql } from 'kysely';
import pg from 'pg';
import { type DbHandle, type Engine, engineOf } from './database.js';

/** Receives the payload of one message (an empty string when the publisher sent none). */
export type Listener = (payload: string) => void;

/**
 * Named channels between the processes sharing one database: PostgreSQL `LISTEN/NOTIFY` over one
 * listening connection per process, whatever the number of channels and subscribers; on SQLite, in
 * this process only (an embedded database has one serving process). Subscribers hear their own
 * process's messages too.
 */
export interface Notifications {
  readonly engine: Engine;
  /** Calls `listener` for every message on `channel`; returns the function that stops it. */
  subscribe(channel: string, listener: Listener): () => void;
  /**
   * Sends a message on `channel` through `db`. Given a transaction, PostgreSQL delivers it only when the
   * transaction commits, so a rolled-back operation announces nothing.
   */
  publish(db: DbHandle, channel: string, payload?: string): Promise<void>;
  /**
   * Whether messages from other processes can be missed right now (the listening connection is down):
   * `listener(false)` on loss, `listener(true)` once listening again. Called at once with the state.
   */
  onHealth(listener: (healthy: boolean) => void): () => void;
  close(): Promise<void>;
}

/** Channel names become SQL identifiers on PostgreSQL: a conservative spelling keeps that safe. */
const CHANNEL = /^[a-z][a-z0-9_]{0,62}$/;
/** PostgreSQL's limit on a NOTIFY payload is 8000 bytes; ours are short ids and times. */
const MAX_PAYLOAD = 1000;

function checkChannel(channel: string): void {
  if (!CHANNEL.test(channel)) throw new Error(`invalid notification channel name '${channel}'`);
}

function checkPayload(payload: string): void {
  if (Buffer.byteLength(payload) > MAX_PAYLOAD) throw new Error(`notification payload over ${MAX_PAYLOAD} bytes`);
}

/** Subscribers by channel, and delivery that one failing listener cannot stop. */
class Subscribers {
  readonly channels = new Map<string, Set<Listener>>();
  private readonly health = new Set<(healthy: boolean) => void>();
  healthy = false;

  add(channel: string, listener: Listener): boolean {
    checkChannel(channel);
    let set = this.channels.get(channel);
    const added = !set;
    if (!set) {
      set = new Set();
      this.channels.set(channel, set);
    }
    set.add(listener);
    return added;
  }

  remove(channel: string, listener: Listener): boolean {
    const set = this.channels.get(channel);
    if (!set) return false;
    set.delete(listener);
    if (set.size > 0) return false;
    this.channels.delete(channel);
    return true;
  }

  deliver(channel: string, payload: string): void {
    for (const listener of this.channels.get(channel) ?? []) {
      try {
        listener(payload);
      } catch {
        // A listener's failure is its own; the others still hear the message.
      }
    }
  }

  onHealth(listener: (healthy: boolean) => void): () => void {
    this.health.add(listener);
    listener(this.healthy);
    return () => this.health.delete(listener);
  }

  setHealthy(healthy: boolean): void {
    if (healthy === this.healthy) return;
    this.healthy = healthy;
    for (const listener of this.health) listener(healthy);
  }
}

/** Opens the notification channels of a database: `url` is the one `openDatabase` was given. */
export function openNotifications(engine: Engine, url: string): Notifications {
  return engine === 'postgres' ? postgresNotifications(url) : inProcessNotifications();
}

/**
 * Sends a message on `channel` through `db` (the root handle or a transaction): what every publisher
 * calls, and all a caller needs, e.g. `enqueue` inside an operation's transaction.
 */
export async function notify(db: DbHandle, channel: string, payload = ''): Promise<void> {
  checkChannel(channel);
  checkPayload(payload);
  if (engineOf(db) === 'postgres') {
    await sql`select pg_notify(${channel}, ${payload})`.execute(db);
    return;
  }
  // Delivered after the caller's current step, as a database round trip would be. A listener's next
  // query waits for the publisher's open transaction to end (SQLite has one connection), so it sees
  // what committed and nothing of what rolled back.
  queueMicrotask(() => processWide.deliver(channel, payload));
}

/**
 * On SQLite every handle of this process shares one set of subscribers: a publisher knows only its
 * handle, not which database it is (a process serves one SQLite database; tests running several in
 * one process at worst wake a listener for nothing).
 */
const processWide = new Subscribers();
processWide.setHealthy(true);

function inProcessNotifications(): Notifications {
  const mine = new Set<[string, Listener]>();
  return {
    engine: 'sqlite',
    subscribe(channel, listener) {
      const entry: [string, Listener] = [channel, listener];
      processWide.add(channel, listener);
      mine.add(entry);
      return () => {
        if (mine.delete(entry)) processWide.remove(channel, listener);
      };
    },
    publish: notify,
    onHealth: (listener) => {
      listener(true);
      return () => {};
    },
    async close() {
      for (const [channel, listener] of mine) processWide.remove(channel, listener);
      mine.clear();
    },
  };
}

/**
 * One listening client per process. While it is down, subscribers are told (`onHealth(false)`) and it
 * reconnects every second, listening again to every subscribed channel.
 */
function postgresNotifications(url: string): Notifications {
  const subscribers = new Subscribers();
  let client: pg.Client | undefined;
  let connecting = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  // LISTEN and UNLISTEN go one after the other on the listening connection (pg runs one query at a time).
  let commands: Promise<unknown> = Promise.resolve();
  const command = (target: pg.Client, text: string) => {
    const next = commands.then(() => target.query(text));
    commands = next.catch(() => {});
    return next;
  };
  const listen = (target: pg.Client, channel: string) => command(target, `LISTEN ${channel}`);
  const connect = async () => {
    if (closed || connecting) return;
    connecting = true;
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (message) => subscribers.deliver(message.channel, message.payload ?? ''));
    next.on('error', () => lost(next));
    next.on('end', () => lost(next));
    try {
      await next.connect();
      for (const channel of subscribers.channels.keys()) await listen(next, channel);
      if (closed) {
        await next.end();
        return;
      }
      client = next;
      subscribers.setHealthy(true);
    } catch {
      lost(next);
    } finally {
      connecting = false;
    }
  };
  const lost = (which: pg.Client) => {
    if (client && client !== which) return;
    subscribers.setHealthy(false);
    client = undefined;
    which.end().catch(() => {});
    if (!closed && !retry) {
      retry = setTimeout(() => {
        retry = undefined;
        void connect();
      }, 1000);
      retry.unref();
    }
  };

  void connect();
  return {
    engine: 'postgres',
    subscribe(channel, listener) {
      const current = client;
      if (subscribers.add(channel, listener) && current) listen(current, channel).catch(() => lost(current));
      return () => {
        const now = client;
        if (subscribers.remove(channel, listener) && now) command(now, `UNLISTEN ${channel}`).catch(() => {});
      };
    },
    publish: notify,
    onHealth: (listener) => subscribers.onHealth(listener),
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      subscribers.setHealthy(false);
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    },
  };
}

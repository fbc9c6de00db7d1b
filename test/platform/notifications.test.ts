import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { notify } from '../../src/platform/db/notifications.js';
import { eventually, JobsLab, sleep } from '../helpers/jobs.js';
import { testEngines } from '../helpers/server.js';

for (const engine of testEngines()) {
  describe(`notification channels (${engine})`, () => {
    let lab: JobsLab;
    before(async () => {
      lab = await new JobsLab(engine).open();
    });
    after(() => lab.close());

    it('several subscribers on several channels over one connection; each hears its channel', async () => {
      const { notifications } = lab.handles[0];
      await eventually(() => healthy(notifications), 'listening');
      const heard: string[] = [];
      const offA = notifications.subscribe('test_alpha', (p) => heard.push(`a1:${p}`));
      const offA2 = notifications.subscribe('test_alpha', (p) => heard.push(`a2:${p}`));
      const offB = notifications.subscribe('test_beta', (p) => heard.push(`b:${p}`));
      await sleep(50); // LISTEN of the new channels reaches the server
      await notify(lab.db, 'test_alpha', 'one');
      await notify(lab.db, 'test_beta');
      await eventually(() => heard.length === 3, 'three deliveries');
      assert.deepEqual(heard.sort(), ['a1:one', 'a2:one', 'b:']);
      offA();
      await notify(lab.db, 'test_alpha', 'two');
      await eventually(() => heard.length === 4, 'the remaining subscriber hears');
      assert.equal(heard[3], 'a2:two');
      offA2();
      offB();
    });

    it('a listener that throws does not stop the others', async () => {
      const { notifications } = lab.handles[0];
      const heard: string[] = [];
      const off1 = notifications.subscribe('test_gamma', () => {
        throw new Error('listener bug');
      });
      const off2 = notifications.subscribe('test_gamma', (p) => heard.push(p));
      await sleep(50);
      await notify(lab.db, 'test_gamma', 'still');
      await eventually(() => heard.length === 1, 'delivered');
      off1();
      off2();
    });

    it('refuses channel names that are not plain identifiers, and oversized payloads', async () => {
      const { notifications } = lab.handles[0];
      assert.throws(() => notifications.subscribe('bad; drop table jobs', () => {}), /invalid notification channel/);
      await assert.rejects(notify(lab.db, 'Upper', ''), /invalid notification channel/);
      await assert.rejects(notify(lab.db, 'test_big', 'x'.repeat(2000)), /payload over/);
    });

    if (engine === 'postgres') {
      it('reaches other processes, only once the transaction commits', async () => {
        const other = lab.handle();
        await eventually(() => healthy(other.notifications), 'the other process listens');
        const heard: string[] = [];
        const off = other.notifications.subscribe('test_delta', (p) => heard.push(p));
        await sleep(50);
        await lab.db
          .transaction()
          .execute(async (trx) => {
            await notify(trx, 'test_delta', 'rolled back');
            throw new Error('abort');
          })
          .catch(() => {});
        await lab.db.transaction().execute(async (trx) => {
          await notify(trx, 'test_delta', 'committed');
          await sleep(100);
          assert.deepEqual(heard, [], 'nothing before the commit');
        });
        await eventually(() => heard.length === 1, 'delivered after commit');
        await sleep(100);
        assert.deepEqual(heard, ['committed']);
        off();
      });

      it('tells subscribers when the listening connection is lost, and listens again', async () => {
        const { notifications } = lab.handles[0];
        const states: boolean[] = [];
        const offHealth = notifications.onHealth((h) => states.push(h));
        const heard: string[] = [];
        const off = notifications.subscribe('test_epsilon', (p) => heard.push(p));
        await sleep(50);
        await sql`select pg_terminate_backend(pid) from pg_stat_activity
                  where datname = current_database() and query like 'LISTEN%'`.execute(lab.db);
        await eventually(() => states.includes(false), 'loss reported');
        await eventually(() => states.at(-1) === true, 'listening again', 5000);
        await notify(lab.db, 'test_epsilon', 'after');
        await eventually(() => heard.includes('after'), 'heard after reconnecting');
        off();
        offHealth();
      });
    }
  });
}

function healthy(notifications: { onHealth(l: (h: boolean) => void): () => void }): boolean {
  let state = false;
  notifications.onHealth((h) => {
    state = h;
  })();
  return state;
}

// The worker side of the compute pool: loads the task module named in workerData and answers each
// `{id, task, payload}` message with `{id, ok, result}` or `{id, ok: false, error}`.
import { parentPort, workerData } from 'node:worker_threads';

type Task = (payload: any) => unknown;

const { taskModule } = workerData as { taskModule: string };
const mod = (await import(taskModule)) as { tasks?: Record<string, Task> };
const tasks = mod.tasks ?? {};

parentPort!.on('message', async (msg: { id: number; task: string; payload: unknown }) => {
  try {
    const fn = tasks[msg.task];
    if (!fn) throw new Error(`unknown compute task ${msg.task}`);
    const result = await fn(msg.payload);
    parentPort!.postMessage({ id: msg.id, ok: true, result });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(err)) {
      if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) fields[k] = v;
    }
    parentPort!.postMessage({ id: msg.id, ok: false, error: { name: err.name, message: err.message, fields } });
  }
});
parentPort!.postMessage({ ready: true });

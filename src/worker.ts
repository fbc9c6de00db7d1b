import { type AppDeps, createPlatform, type Platform, platformModules, startLifecycle } from './app.js';
import type { JobRunner } from './platform/jobs/runner.js';

export interface Worker {
  platform: Platform;
  runner: JobRunner;
  /** Stops claiming, drains or hands back the jobs in hand, runs the modules' stop hooks. */
  stop(): Promise<void>;
}

/**
 * The modules started without HTTP, running jobs only: what `gantry worker` runs. The same platform
 * and modules as `gantry serve` (createPlatform, platformModules), so a job behaves alike in both.
 */
export async function startWorker(deps: Omit<AppDeps, 'contract' | 'vault'>): Promise<Worker> {
  const platform = await createPlatform(deps);
  try {
    const modules = platformModules(platform, deps.extraModules);
    const lifecycle = await startLifecycle(platform, modules, true);
    return {
      platform,
      runner: lifecycle.runner!,
      async stop() {
        await lifecycle.stop();
        await platform.close();
      },
    };
  } catch (error) {
    await platform.close();
    throw error;
  }
}

import type { FormValues } from '../../engines/forms/index.js';
import type { Access } from '../../platform/authz/access.js';
import type { JwtSigner } from '../../platform/crypto/jwt.js';
import type { DbHandle } from '../../platform/db/database.js';
import { unprocessable } from '../../platform/errors.js';
import { renderOnPool } from '../catalog/render-pool.js';
import type { StackRow } from '../catalog/repo.js';
import { placedStackContext, stackData, useCaseKeys } from '../catalog/stack-config.js';
import { checkConfigPath } from '../config-repositories/config-files.js';

/** Where a component is (or is going): what the stack's `($ $)` templates and `config_root` see. */
export interface Place {
  project: string;
  environment: string;
  component: string;
  componentName: string;
}

export interface RenderedFile {
  path: string;
  content: string;
}

/**
 * The files a component writes to its config repository (stackforms.md §7): the use case's samples
 * rendered as stack templates for `place` (`config_root` = `<project>/<env>/<component>`), then the
 * form values written in, on a render worker (catalog/stack-render.ts renderComponentDestinations).
 * `inventory_jwt` is the token of the remote-state backend serving the environment, as for
 * interpolateFormsConfig. Each destination is then checked as a config repository path.
 */
export async function renderComponentFiles(
  db: DbHandle,
  access: Access,
  signer: JwtSigner,
  stack: StackRow,
  place: Place,
  useCase: string,
  vars: FormValues,
): Promise<RenderedFile[]> {
  const data = await stackData(db, stack);
  const useCases = useCaseKeys(data);
  if (!useCases.includes(useCase)) {
    const known = useCases.join(', ');
    throw unprocessable(`use_case: stack '${stack.canonical}' has no use case '${useCase}' (use cases: ${known})`);
  }
  const context = await placedStackContext(db, access, signer, stack, place);
  const files = await renderOnPool('stack.component-files', { stack: data, context, useCase, vars });
  return files.map((f) => {
    const path = f.destination.replace(/^\/+/, '');
    checkConfigPath(path, `service_catalog_ref: destination of '${f.source}'`);
    return { path, content: f.content };
  });
}

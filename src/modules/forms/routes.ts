import type { HandlerContext, OperationSpec, RequestBody } from '../../platform/http/operation.js';
import type { Module } from '../../platform/module.js';
import type { ModuleDeps } from '../deps.js';
import { fetchValuesRef, validateFormsFile } from './service.js';

type Ctx<B> = HandlerContext<{ organization_canonical: string }, unknown, B>;

/**
 * StackForms operations that need no project: checking a forms file and fetching the values a form
 * points to. Both only read (nothing is stored or audited); they need the right to read stacks.
 * interpolateFormsConfig renders through the same engine from the stacks and projects modules.
 */
export function formsModule(deps: ModuleDeps): Module {
  const operations: Record<string, OperationSpec<any>> = {
    validateFormsFile: {
      permission: { action: 'organization:service_catalog:read' },
      noAudit: true,
      handler: (ctx: Ctx<RequestBody<'validateFormsFile'>>) => validateFormsFile(ctx.body.form_file),
    },
    valuesRefForms: {
      permission: { action: 'organization:service_catalog:read' },
      noAudit: true,
      handler: (ctx: Ctx<RequestBody<'valuesRefForms'>>) => fetchValuesRef(ctx.body.url, deps.config.outbound),
    },
  };
  return { name: 'forms', operations };
}

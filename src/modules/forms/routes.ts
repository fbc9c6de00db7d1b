import type { HandlerContext, OperationSpec, RequestBody } from '../../platform/http/operation.js';
import type { Module } from '../../platform/module.js';
import type { ModuleDeps } from '../deps.js';
import { interpolateFormsConfig } from './interpolate-config.js';
import { fetchValuesRef, validateFormsFile } from './service.js';

type Ctx<B> = HandlerContext<{ organization_canonical: string }, unknown, B>;
type EnvCtx<B> = HandlerContext<
  { organization_canonical: string; project_canonical: string; environment_canonical: string },
  unknown,
  B
>;

/**
 * StackForms operations: checking a forms file and fetching the values a form points to (the right
 * to read stacks), and rendering what a form would produce in a project environment (the right to
 * read that environment). None stores anything, so none is audited.
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
    interpolateFormsConfig: {
      permission: {
        action: 'organization:project:environment:read',
        entities: (ctx) => [String(ctx.params.project_canonical), String(ctx.params.environment_canonical)],
      },
      noAudit: true,
      handler: (ctx: EnvCtx<RequestBody<'interpolateFormsConfig'>>) =>
        interpolateFormsConfig(
          ctx.db,
          ctx.access!,
          deps.signer,
          { project: ctx.params.project_canonical, environment: ctx.params.environment_canonical },
          ctx.body,
        ),
    },
  };
  return { name: 'forms', operations };
}

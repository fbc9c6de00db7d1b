import type { components } from '../../generated/contract.js';
import { defineOperations } from '../../platform/http/operation.js';
import type { Module } from '../../platform/module.js';
import type { ModuleDeps } from '../deps.js';
import { interpolateFormsConfig } from './interpolate-config.js';
import { fetchValuesRef, validateFormsFile } from './service.js';

type FormsValidationResult = components['schemas']['FormsValidationResult'];

/**
 * StackForms operations: checking a forms file and fetching the values a form points to (the right
 * to read stacks), and rendering what a form would produce in a project environment (the right to
 * read that environment). None stores anything, so none is audited.
 */
export function formsModule(deps: ModuleDeps): Module {
  const operations = defineOperations({
    validateFormsFile: {
      permission: { action: 'organization:service_catalog:read' },
      noAudit: true,
      // The engine's variable types include `raw`, which the contract's enum lacks (an erratum adds it
      // to the served contract; the generated types keep the original enum).
      handler: (ctx) => validateFormsFile(ctx.body.form_file) as FormsValidationResult,
    },
    valuesRefForms: {
      permission: { action: 'organization:service_catalog:read' },
      noAudit: true,
      handler: (ctx) => fetchValuesRef(ctx.body.url, deps.config.outbound),
    },
    interpolateFormsConfig: {
      permission: {
        action: 'organization:project:environment:read',
        entities: (ctx) => [String(ctx.params.project_canonical), String(ctx.params.environment_canonical)],
      },
      noAudit: true,
      handler: (ctx) =>
        interpolateFormsConfig(
          ctx.db,
          ctx.access!,
          deps.signer,
          { project: ctx.params.project_canonical, environment: ctx.params.environment_canonical },
          ctx.body,
        ),
    },
  });
  return { name: 'forms', operations };
}

import type { components } from '../../generated/contract.js';
import { isSet } from '../../platform/db/columns.js';
import { presentOwner } from '../../platform/ownership/present.js';
import type { InfraPolicyRow } from './repo.js';

export type InfraPolicyView = components['schemas']['InfraPolicy'];
export type Severity = InfraPolicyView['severity'];
export type ValidationResultView = Required<components['schemas']['InfraPoliciesValidationResult']>;

export function presentInfraPolicy(row: InfraPolicyRow): InfraPolicyView {
  const owner = presentOwner(row);
  return {
    id: row.id,
    canonical: row.canonical,
    name: row.name,
    description: row.description,
    body: row.body,
    severity: row.severity as Severity,
    enabled: isSet(row.enabled),
    created_at: row.created_at,
    updated_at: row.updated_at,
    ...(owner ? { owner } : {}),
  };
}

/** Where a violated policy is listed, by its severity. */
const GROUP: Record<Severity, keyof ValidationResultView> = {
  critical: 'criticals',
  warning: 'warnings',
  advisory: 'advisories',
};

/**
 * The validation report: each violated policy with its reasons under its severity; respected policies
 * are not listed. The three arrays are always present, empty when nothing was violated.
 */
export function presentValidation(violations: Array<{ row: InfraPolicyRow; reasons: string[] }>): ValidationResultView {
  const result: ValidationResultView = { criticals: [], warnings: [], advisories: [] };
  for (const { row, reasons } of violations) {
    result[GROUP[row.severity as Severity]].push({ infra_policy: presentInfraPolicy(row), reasons });
  }
  return result;
}

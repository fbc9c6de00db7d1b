// The two shapes of a forms file (legacy map, use_cases list) read into one list of groups in place.

import { isPlainObject, TECHNOLOGIES } from './model.js';

export const INVALID = 'The Forms File has an invalid format: ';

/** A group as found in the file, with where it sits, before its own checks. */
export interface RawGroup {
  useCase: string;
  section: string;
  /** The group's own map (list format) or a synthesized one (legacy format). */
  group: Record<string, unknown>;
}

export interface RawUseCase {
  name: string;
  sections: { name: string; groups: RawGroup[] }[];
}

export interface Structure {
  version: string;
  useCases: RawUseCase[];
  errors: string[];
}

const VERSIONS = new Set(['2', '3']);

/**
 * Legacy map format: `<use case>: <technology>: <group name>: [vars]` (no `version`, no `use_cases`).
 * List format: `version` "2"/"3" (or none) with `use_cases`. Other top-level keys are ignored: they
 * hold YAML anchors shared by the use cases (`shared:`).
 */
export function readStructure(file: unknown): Structure {
  const errors: string[] = [];
  if (!isPlainObject(file)) {
    return {
      version: '3',
      useCases: [],
      errors: [`${INVALID}the file must be a map (legacy format) or hold "use_cases"`],
    };
  }
  const hasVersion = file.version !== undefined && file.version !== null;
  if (hasVersion && !VERSIONS.has(String(file.version))) {
    errors.push(`${INVALID}version ${JSON.stringify(file.version)} is not supported (expected "2" or "3")`);
  }
  if ('use_cases' in file) return { version: '3', useCases: listFormat(file.use_cases, errors), errors };
  if (hasVersion) {
    errors.push(`${INVALID}"use_cases" is missing`);
    return { version: '3', useCases: [], errors };
  }
  return { version: '3', useCases: legacyFormat(file, errors), errors };
}

function listFormat(useCases: unknown, errors: string[]): RawUseCase[] {
  if (!Array.isArray(useCases)) {
    errors.push(`${INVALID}"use_cases" must be a list`);
    return [];
  }
  const out: RawUseCase[] = [];
  useCases.forEach((uc, i) => {
    const name = isPlainObject(uc) && typeof uc.name === 'string' && uc.name !== '' ? uc.name : undefined;
    if (!isPlainObject(uc) || name === undefined) {
      errors.push(`${INVALID}use case #${i + 1} must be a map with a "name"`);
      return;
    }
    const sections: RawUseCase['sections'] = [];
    // `- name: x` with its sections commented out: a use case with an empty form (yaml.v2 gives nil).
    const listed = uc.sections ?? [];
    if (!Array.isArray(listed)) {
      errors.push(`${INVALID}use case "${name}": "sections" must be a list`);
    } else {
      listed.forEach((s, j) => {
        const sName = isPlainObject(s) && typeof s.name === 'string' && s.name !== '' ? s.name : undefined;
        if (!isPlainObject(s) || sName === undefined) {
          errors.push(`${INVALID}use case "${name}": section #${j + 1} must be a map with a "name"`);
          return;
        }
        if (!Array.isArray(s.groups)) {
          errors.push(`${INVALID}use case "${name}" section "${sName}": "groups" must be a list`);
          return;
        }
        const groups: RawGroup[] = [];
        s.groups.forEach((g, k) => {
          if (!isPlainObject(g)) {
            errors.push(`${INVALID}use case "${name}" section "${sName}": group #${k + 1} must be a map`);
            return;
          }
          groups.push({ useCase: name, section: sName, group: g });
        });
        sections.push({ name: sName, groups });
      });
    }
    out.push({ name, sections });
  });
  return out;
}

function legacyFormat(file: Record<string, unknown>, errors: string[]): RawUseCase[] {
  const out: RawUseCase[] = [];
  for (const [name, technologies] of Object.entries(file)) {
    // Lists and scalars at the top level are anchor holders, not use cases.
    if (!isPlainObject(technologies)) continue;
    const sections: RawUseCase['sections'] = [];
    for (const [technology, groupsByName] of Object.entries(technologies)) {
      if (!(TECHNOLOGIES as readonly string[]).includes(technology)) {
        errors.push(`${INVALID}use case "${name}": Forms Technology "${technology}" is unknown`);
        continue;
      }
      if (!isPlainObject(groupsByName)) {
        errors.push(
          `${INVALID}use case "${name}" section "${technology}": groups must be a map of group name to variables`,
        );
        continue;
      }
      const groups = Object.entries(groupsByName).map(([gName, vars]) => ({
        useCase: name,
        section: technology,
        group: { name: gName, technologies: [technology], vars },
      }));
      sections.push({ name: technology, groups });
    }
    out.push({ name, sections });
  }
  return out;
}

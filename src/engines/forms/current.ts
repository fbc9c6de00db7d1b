// A component's saved values shown in its form (FormEntity `current`, `mismatch_values`): the value of
// each var as the component's files hold it, read back from every technology the var is written to.
// When those files disagree (someone edited one of them), all distinct values are listed and `current`
// is left out: the form cannot tell which one the user means.

import { HclError, readAttributes } from '../hcl/edit.js';
import { hclLiteralValue } from '../hcl/literal.js';
import { FormsError } from './errors.js';
import type { Samples } from './interpolate.js';
import { type FormUseCase, type FormValues, type FormVar, isPlainObject } from './model.js';
import { parseGoYaml } from './yaml.js';

/** A form var with what the component holds. */
export type FormVarWithCurrent = FormVar & { current?: unknown; mismatch_values?: unknown[] };

/**
 * The form with each var's `current`: the one value the component's `files` hold for it, or else the
 * `saved` value (section -> group -> key) when the files do not have it; `mismatch_values` instead when
 * the files hold several different values. Without files, `current` is the saved value.
 */
export function withCurrentValues(form: FormUseCase, saved: FormValues, files?: Required<Samples>): FormUseCase {
  const terraformKeys = form.sections.flatMap((s) =>
    s.groups.filter((g) => g.technologies.includes('terraform')).flatMap((g) => g.vars.map((v) => v.key)),
  );
  const read = files ? readFiles(files, terraformKeys) : undefined;
  return {
    ...form,
    sections: form.sections.map((section) => ({
      ...section,
      groups: section.groups.map((group) => ({
        ...group,
        vars: group.vars.map((v): FormVarWithCurrent => {
          const out: FormVarWithCurrent = { ...v };
          delete out.current;
          delete out.mismatch_values;
          const found = read ? distinct(group.technologies.flatMap((t) => read(t, v.key))) : [];
          if (found.length > 1) out.mismatch_values = found;
          else if (found.length === 1) out.current = found[0];
          else {
            const value = savedValue(saved, section.name, group.name, v.key);
            if (value !== undefined) out.current = value;
          }
          return out;
        }),
      })),
    })),
  };
}

function savedValue(saved: FormValues, section: string, group: string, key: string): unknown {
  const s = saved[section];
  const g = isPlainObject(s) ? s[group] : undefined;
  return isPlainObject(g) && Object.hasOwn(g, key) ? g[key] : undefined;
}

/** Values equal as JSON (object keys in any order) count once; the first spelling is kept. */
function distinct(values: unknown[]): unknown[] {
  const seen = new Map<string, unknown>();
  for (const v of values) {
    const key = canonicalJson(v);
    if (!seen.has(key)) seen.set(key, v);
  }
  return [...seen.values()];
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * A reader of the values files hold, per technology and key: top-level keys of the pipeline variables
 * and ansible YAML files, `module.<m>.<attr>` (or `variable "<key>"`'s default) in Terraform files.
 * Each file is parsed once, when first asked; a file that does not parse holds nothing.
 */
function readFiles(files: Required<Samples>, terraformKeys: string[]): (technology: string, key: string) => unknown[] {
  const yaml = new Map<string, Record<string, unknown> | null>();
  const topLevel = (name: string, text: string): Record<string, unknown> | null => {
    let doc = yaml.get(name);
    if (doc === undefined) {
      try {
        const value = parseGoYaml(text, name).value;
        doc = isPlainObject(value) ? value : null;
      } catch (e) {
        if (!(e instanceof FormsError)) throw e;
        doc = null;
      }
      yaml.set(name, doc);
    }
    return doc;
  };
  const fromYaml = (name: string, text: string, key: string): unknown[] => {
    const doc = topLevel(name, text);
    return doc && Object.hasOwn(doc, key) ? [doc[key]] : [];
  };
  // Terraform files are tokenized once each, for every key a form may have written there.
  const keys = [...new Set(terraformKeys)];
  const wanted = keys.map((key) => {
    const module = /^module\.([^.]+)\.([^.]+)$/.exec(key);
    return module
      ? { labels: ['module', module[1]!], attr: module[2]! }
      : { labels: ['variable', key], attr: 'default' };
  });
  const hcl = Object.values(files.terraform).map((text) => {
    const byKey = new Map<string, string>();
    try {
      readAttributes(text, wanted).forEach((expression, i) => {
        if (expression !== undefined) byKey.set(keys[i]!, expression);
      });
    } catch (e) {
      if (!(e instanceof HclError)) throw e;
    }
    return byKey;
  });
  const fromHcl = (key: string): unknown[] =>
    hcl.flatMap((byKey) => {
      const expression = byKey.get(key);
      if (expression === undefined) return [];
      // An expression that is not a literal (a reference, a call) is shown as it stands, like a `raw` var.
      const value = hclLiteralValue(expression);
      return [value === undefined ? expression : value];
    });
  return (technology, key) => {
    if (technology === 'pipeline') return fromYaml('variables', files.variables, key);
    if (technology === 'ansible')
      return Object.entries(files.ansible).flatMap(([name, text]) => fromYaml(`ansible.${name}`, text, key));
    if (technology === 'terraform') return fromHcl(key);
    return [];
  };
}

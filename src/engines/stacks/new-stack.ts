// The `.cycloid.yml` of a stack created through the API (createServiceCatalog): the request's fields,
// written so that Go's yaml.v2 reads them back as given (YAML 1.1 quoting of `yes`, `on`, ...).

import { stringify } from 'yaml';
import type { StackDefinition } from './definition.js';

/** The stack engine version new stacks are written for (the newest: `latest` in the API). */
export const NEW_STACK_VERSION = '4';

/** The fields a request gives: those of a stack definition, technologies and dependencies optional. */
export type NewStackFields = Pick<StackDefinition, 'name' | 'canonical' | 'author' | 'description' | 'keywords'> &
  Partial<Pick<StackDefinition, 'image' | 'technologies' | 'dependencies'>>;

/** The stack marker text; `config` is empty: use cases come with the stack's later edits. */
export function newStackDefinition(fields: NewStackFields): string {
  const doc = {
    version: NEW_STACK_VERSION,
    name: fields.name,
    canonical: fields.canonical,
    author: fields.author,
    description: fields.description,
    keywords: fields.keywords,
    ...(fields.image ? { image: fields.image } : {}),
    ...(fields.technologies?.length ? { technologies: fields.technologies } : {}),
    ...(fields.dependencies?.length ? { dependencies: fields.dependencies } : {}),
    config: {},
  };
  return stringify(doc, { version: '1.1', lineWidth: 0 });
}

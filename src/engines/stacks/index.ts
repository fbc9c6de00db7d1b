// Catalog repositories: reading `.cycloid.yml` files as Cycloid does (Go yaml.v2 semantics) and
// finding the stacks of a repository. Pure: callers read the files.

export {
  BLUEPRINT_DELIMS,
  BLUEPRINT_LIMITS,
  BlueprintError,
  type BlueprintFile,
  type BlueprintLimits,
  type BlueprintVariables,
  blueprintFiles,
  jinjaDialect,
  renderBlueprint,
} from './blueprint.js';
export {
  type CatalogEntry,
  dedupeCanonicals,
  FORMS_FILE,
  findStackMarkers,
  README_FILE,
  referencedFiles,
  repositoryPath,
  STACK_MARKERS,
  type StackMarker,
} from './catalog.js';
export {
  type ParsedStack,
  type PathDestination,
  parseStackDefinition,
  type StackDefinition,
  type UseCase,
} from './definition.js';
export { NEW_STACK_VERSION, type NewStackFields, newStackDefinition } from './new-stack.js';
export { type FileProblem, type GoYaml, isRecord, readGoYaml, StackFileError } from './yaml.js';

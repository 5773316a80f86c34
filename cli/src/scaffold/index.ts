export { declarationFile, INDEX_HEADER, indexFile, literal } from './declaration.ts';
export { camelCase, functionNameProblem, NAME_RULE, pascalCase, resourceNameProblem } from './names.ts';
export { render } from './render.ts';
export {
  type ScaffoldFile,
  type ScaffoldRequest,
  type ScaffoldResult,
  scaffoldFunction,
  templatesDir,
} from './scaffold.ts';
export { isTrigger, TRIGGER_INFO, TRIGGERS, type Trigger, type TriggerInfo } from './triggers.ts';

export { INDEX_HEADER, indexFile, literal, PUBLIC_ROUTE_REASON, wiringFile } from './declaration.ts';
export { camelCase, functionNameProblem, NAME_RULE, pascalCase, resourceNameProblem } from './names.ts';
export { render } from './render.ts';
export {
  planScaffold,
  type ScaffoldFile,
  type ScaffoldRequest,
  type ScaffoldResult,
  scaffoldFunction,
  templatesDir,
} from './scaffold.ts';
export { isTrigger, TRIGGER_INFO, TRIGGERS, type Trigger, type TriggerInfo } from './triggers.ts';

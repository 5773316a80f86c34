/** The hooks `ferrule agent hook <name>` runs; apart from their code so the command's help needs none of it. */
export const HOOKS = ['format-after-edit', 'verify-before-stop'] as const;
export type HookName = (typeof HOOKS)[number];

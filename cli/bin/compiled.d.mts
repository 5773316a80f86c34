/** The folder of the CLI package (cli/). */
export declare const cliDir: string;
/** The file URL of the compiled entry when it is current, else undefined. */
export declare function compiledEntry(dir?: string, outDir?: string): string | undefined;
/** Bundles `dir`/src/main.ts into `outDir` (default `dir`/dist) and records what it was built from. */
export declare function compileCli(
  dir?: string,
  outDir?: string,
): Promise<{ entry: string; inputs: number; ms: number }>;

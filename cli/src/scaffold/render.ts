/**
 * Fills `{{key}}` placeholders. The templates are plain files that read as the code they
 * produce, and the values are simple strings (names, paths, one-line TOML), so a template
 * engine would add a dependency and a second syntax for nothing. A placeholder without a
 * value is an error, so a template typo cannot slip into a generated file.
 */
export function render(template: string, values: Readonly<Record<string, string>>, origin: string): string {
  return template.replace(/\{\{([a-z_]+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template ${origin} uses {{${key}}}, which has no value`);
    return value;
  });
}

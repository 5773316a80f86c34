import { styleText } from 'node:util';

type Style = 'red' | 'yellow' | 'green' | 'bold' | 'dim' | 'cyan';

/**
 * Colours for one output stream: only when it is a terminal and NO_COLOR is unset
 * (https://no-color.org), so pipes, files and CI logs get plain text.
 */
export function painter(stream: NodeJS.WriteStream = process.stdout): (style: Style, text: string) => string {
  const enabled = stream.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  return (style, text) => (enabled ? styleText(style, text) : text);
}

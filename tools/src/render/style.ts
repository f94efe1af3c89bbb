// ANSI styling, applied only when the output allows colour (see io/terminal.ts for when it does).

export interface Style {
  readonly error: (text: string) => string;
  readonly bold: (text: string) => string;
}

const plain: Style = { error: (text) => text, bold: (text) => text };

const ansi: Style = {
  error: (text) => `\u001b[31m${text}\u001b[39m`,
  bold: (text) => `\u001b[1m${text}\u001b[22m`,
};

export function styleFor(color: boolean): Style {
  return color ? ansi : plain;
}

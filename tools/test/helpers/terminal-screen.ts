// What a terminal shows after some output, for the control sequences a progress line uses: text overwrites from
// the cursor, \r returns to the line's start, \n moves to the next line, ESC [2K erases the whole line. Any other
// escape sequence fails the test rather than being guessed at.

/** The lines on screen after `output`, trailing empty lines dropped. */
export function screenAfter(output: string): string[] {
  const lines: string[][] = [[]];
  let row = 0;
  let column = 0;
  for (let i = 0; i < output.length; i++) {
    const char = output[i]!;
    if (char === "\r") {
      column = 0;
    } else if (char === "\n") {
      row++;
      column = 0;
      lines[row] ??= [];
    } else if (char === "\u001b") {
      const sequence = /^\u001b\[2K/.exec(output.slice(i));
      if (sequence === null) throw new Error(`unexpected escape sequence at ${i}: ${JSON.stringify(output.slice(i, i + 8))}`);
      lines[row] = [];
      i += sequence[0].length - 1;
    } else {
      const line = lines[row]!;
      while (line.length < column) line.push(" ");
      line[column++] = char;
    }
  }
  const text = lines.map((line) => line.join("").trimEnd());
  while (text.length > 0 && text[text.length - 1] === "") text.pop();
  return text;
}

// Text from outside (trial keys, file names, error messages quoting a file) on its way to a terminal:
// control characters are shown as \xNN escapes, so a value cannot move the cursor, recolour or retitle
// the terminal, or hide what came before it. Line breaks and tabs stay where `keepLines` asks.

// C0 controls, DEL and C1 controls (U+0080–U+009F, which include the 8-bit CSI).
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const CONTROL_WITH_LINES = /[\u0000-\u001f\u007f-\u009f]/g;

const escape = (c: string): string => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** The text with every control character (and, unless keepLines, line breaks and tabs) escaped. */
export function printable(text: string, keepLines = false): string {
  return String(text).replace(keepLines ? CONTROL : CONTROL_WITH_LINES, escape);
}

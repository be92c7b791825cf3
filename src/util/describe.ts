// A value from outside (a config file, a spec, a queue payload) quoted in a one-line error: never
// converted through its own toString or toJSON, never recursed into (JSON.parse accepts nesting
// 100 000 deep, which JSON.stringify cannot print back), and at most 60 characters.

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return value.length > 60 ? `'${value.slice(0, 57)}…'` : `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

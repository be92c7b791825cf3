// The page's small DOM vocabulary: element lookup, the one-line message, labelled form controls,
// and the run colours (colour-blind safe, Okabe-Ito).

export const COLORS = ['#0072b2', '#d55e00', '#009e73'];

export const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
export const message = (text: string, kind: 'info' | 'error' = 'info') => {
  const m = $('message');
  m.textContent = text;
  m.className = kind;
};

export type FieldKind = 'select' | 'text' | 'number' | 'checkbox';

/** A labelled input or select (its label's `for` names it, so screen readers and tests find it). */
export function control(id: string, label: string, kind: FieldKind, value: string | boolean, options: readonly string[] = [], help = ''): HTMLElement {
  const wrap = document.createElement('div');
  wrap.className = `field field-${kind}`;
  const l = document.createElement('label');
  l.htmlFor = id;
  l.textContent = label;
  let input: HTMLInputElement | HTMLSelectElement;
  if (kind === 'select') {
    const s = document.createElement('select');
    for (const o of options) s.append(new Option(o, o));
    s.value = String(value);
    input = s;
  } else {
    const i = document.createElement('input');
    i.type = kind;
    if (kind === 'checkbox') i.checked = Boolean(value);
    else i.value = String(value);
    if (kind === 'text') i.spellcheck = false;
    input = i;
  }
  input.id = id;
  input.name = id;
  if (help) input.title = help;
  if (kind === 'checkbox') wrap.append(input, l);
  else wrap.append(l, input);
  return wrap;
}

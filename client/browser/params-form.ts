import type { ParamInfo, SynthesisParams } from '../../src/protocol/messages.js';

/** The engine's parameters as form controls, built from `ready.params`. */
export interface ParamsForm {
  /** Current values, each within the range the server declared. */
  values(): SynthesisParams;
  /** Puts every control back to its default. */
  reset(): void;
}

/** Integer parameters with more steps than this get a number box instead of a slider (a seed, say). */
const MAX_SLIDER_STEPS = 1000;

/** A round slider step giving about a hundred positions over the range. */
function stepFor(info: ParamInfo): number {
  if (info.integer) return 1;
  const span = info.max - info.min;
  return span > 0 ? 10 ** Math.floor(Math.log10(span / 100)) : 1;
}

function format(value: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  return value.toFixed(Math.min(decimals, 4));
}

function label(name: string): string {
  const words = name.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Fills `container` with one control per parameter; with none, says so. */
export function createParamsForm(container: HTMLElement, params: Record<string, ParamInfo>): ParamsForm {
  container.replaceChildren();
  const controls: Array<{ name: string; input: HTMLInputElement; info: ParamInfo; show: () => void }> = [];
  for (const [name, info] of Object.entries(params)) {
    const step = stepFor(info);
    const id = `param-${name}`;
    const row = document.createElement('div');
    row.className = 'param';
    const title = document.createElement('label');
    title.htmlFor = id;
    title.textContent = label(name);
    const input = document.createElement('input');
    input.id = id;
    input.name = name;
    const slider = !(info.integer && info.max - info.min > MAX_SLIDER_STEPS);
    input.type = slider ? 'range' : 'number';
    input.min = String(info.min);
    input.max = String(info.max);
    input.step = String(step);
    input.value = String(info.default);
    const output = document.createElement('output');
    output.htmlFor.add(id);
    const range = document.createElement('span');
    range.className = 'param-range';
    range.textContent = `${info.min}–${info.max}, default ${info.default}`;
    const show = () => (output.textContent = slider ? format(Number(input.value), step) : '');
    input.addEventListener('input', show);
    show();
    row.append(title, input, output, range);
    container.append(row);
    controls.push({ name, input, info, show });
  }
  if (controls.length === 0) {
    const none = document.createElement('p');
    none.className = 'muted';
    none.textContent = 'This engine takes no parameters.';
    container.append(none);
  }
  return {
    values() {
      const values: SynthesisParams = {};
      for (const { name, input, info } of controls) {
        const value = Number(input.value);
        if (input.value === '' || !Number.isFinite(value)) continue;
        values[name] = Math.min(info.max, Math.max(info.min, info.integer ? Math.round(value) : value));
      }
      return values;
    },
    reset() {
      for (const { input, info, show } of controls) {
        input.value = String(info.default);
        show();
      }
    },
  };
}

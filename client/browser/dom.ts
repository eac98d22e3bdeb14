/** The element with `id`; throws when index.html lacks it, so a renamed id fails at load, not on first use. */
export function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`page is missing #${id}`);
  return found as T;
}

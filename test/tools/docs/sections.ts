/** The text of the section under a `### ` heading, up to the next heading of level 2 or 3. */
export function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n### ${heading}\n`);
  if (start === -1) return '';
  const rest = markdown.slice(start + heading.length + 6);
  const end = rest.search(/\n#{2,3} /);
  return end === -1 ? rest : rest.slice(0, end);
}

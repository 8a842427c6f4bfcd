/** The repository's examples/, bundled into the site at build time. */
const raw = import.meta.glob('../../examples/*.yaml', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export const EXAMPLES: { name: string; text: string; description: string }[] = Object.entries(raw)
  .map(([path, text]) => ({ name: path.split('/').pop()!, text, description: /^description:\s*(.*)$/m.exec(text)?.[1] ?? '' }))
  .sort((a, b) => a.name.localeCompare(b.name));

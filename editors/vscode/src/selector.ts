// Which documents go to the server. The server decides by content whether a file is a training config, so every
// YAML, JSON, Python file and Python notebook cell is offered; other schemes (git:, diff views) are left out so
// one file is not analysed twice.
export const LANGUAGES = ['yaml', 'json', 'jsonc', 'python'] as const;

export type Filter =
  | { scheme: string; language: string }
  | { notebook: { notebookType: string }; language: string };

export function documentSelector(): Filter[] {
  const out: Filter[] = [];
  for (const language of LANGUAGES) for (const scheme of ['file', 'untitled']) out.push({ scheme, language });
  out.push({ notebook: { notebookType: 'jupyter-notebook' }, language: 'python' });
  return out;
}

/** Whether a document (by language id) is one the Train command may be pointed at. */
export function isTrainable(languageId: string): boolean {
  return languageId === 'yaml' || languageId === 'json' || languageId === 'jsonc' || languageId === 'python';
}

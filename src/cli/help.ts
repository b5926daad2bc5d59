/** The layout every command's --help shares: its own options, then the global ones, then examples. */
import type { Argv } from 'yargs';

/** Options every command accepts (declared in src/cli/parser.ts), shown after the command's own. */
export const GLOBAL_OPTIONS = ['backend', 'data-dir', 'seed', 'plugin', 'verbose', 'json', 'help', 'version'];

/**
 * Puts `y`'s own options under "Options:" and the global ones after them, and adds `examples`
 * (`[command line, what it does]`). Call it last in a command's builder.
 */
export function commandHelp<T>(y: Argv<T>, examples: readonly (readonly [string, string])[]): Argv<T> {
  // Both exist on yargs instances; @types/yargs does not declare them.
  const inspect = y as unknown as { getGroups(): Record<string, string[]>; getOptions(): { key: Record<string, unknown> } };
  const grouped = new Set(Object.values(inspect.getGroups()).flat());
  const own = Object.keys(inspect.getOptions().key).filter((key) => !GLOBAL_OPTIONS.includes(key) && !grouped.has(key));
  let out = y.group(own, 'Options:').group(GLOBAL_OPTIONS, 'Global options:');
  for (const [command, description] of examples) out = out.example(command, description);
  return out;
}

/** A command builder that runs `builder` and then `commandHelp` with `examples`. */
export function withHelp<A, B>(examples: readonly (readonly [string, string])[], builder: (y: Argv<A>) => Argv<B>): (y: Argv<A>) => Argv<B> {
  return (y) => commandHelp(builder(y), examples);
}

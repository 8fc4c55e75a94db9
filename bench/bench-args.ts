/** The value after `name` on the benchmark's command line (`--seconds 20`), or `fallback`. */
export const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : fallback;
};

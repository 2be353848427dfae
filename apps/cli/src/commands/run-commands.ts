import { SymphonyError } from '@symphony/types';

export async function runCli(command: string, _positionals: string[], _values: Record<string, unknown>): Promise<number> {
  throw new SymphonyError('E_INPUT_INVALID', `unknown command "${command}" (try "symphony help")`, { details: { command } });
}

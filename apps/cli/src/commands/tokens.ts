import { defaultHome } from '@symphony/config/home';
import { tokensCommand } from '@symphony/server/tokens';

/** `symphony tokens create|list|revoke` over the home's token file (the server itself is not loaded). */
export function tokensCliCommand(args: string[]): Promise<number> {
  const homeAt = args.indexOf('--home');
  const home = defaultHome({ ...(homeAt >= 0 && args[homeAt + 1] ? { flag: args[homeAt + 1] } : {}) });
  const rest = homeAt >= 0 ? [...args.slice(0, homeAt), ...args.slice(homeAt + 2)] : args;
  return tokensCommand(rest, home);
}

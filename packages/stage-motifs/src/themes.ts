/**
 * Design tokens, light and dark, as the front end's CSS variables (`--background`, ...). Colours
 * are OKLCH strings, as shadcn's Tailwind 4 themes use; a motif never hard-codes a colour.
 */
export interface ThemeTokens {
  background: string;
  foreground: string;
  card: string;
  cardForeground: string;
  muted: string;
  mutedForeground: string;
  primary: string;
  primaryForeground: string;
  secondary: string;
  secondaryForeground: string;
  accent: string;
  border: string;
  input: string;
  ring: string;
  destructive: string;
  success: string;
  warning: string;
  info: string;
  radius: string;
  fontSans: string;
  fontMono: string;
}

export type ThemeName = 'light' | 'dark';

const fonts = {
  fontSans: 'ui-sans-serif, system-ui, -apple-system, "Segoe UI", sans-serif',
  fontMono: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace',
};

export const themes: Record<ThemeName, ThemeTokens> = {
  light: {
    background: 'oklch(1 0 0)', foreground: 'oklch(0.145 0 0)', card: 'oklch(1 0 0)', cardForeground: 'oklch(0.145 0 0)',
    muted: 'oklch(0.97 0 0)', mutedForeground: 'oklch(0.556 0 0)', primary: 'oklch(0.205 0 0)', primaryForeground: 'oklch(0.985 0 0)',
    secondary: 'oklch(0.97 0 0)', secondaryForeground: 'oklch(0.205 0 0)', accent: 'oklch(0.95 0.02 250)', border: 'oklch(0.922 0 0)',
    input: 'oklch(0.922 0 0)', ring: 'oklch(0.708 0 0)', destructive: 'oklch(0.577 0.245 27.3)', success: 'oklch(0.6 0.15 150)',
    warning: 'oklch(0.75 0.16 75)', info: 'oklch(0.6 0.15 250)', radius: '0.625rem', ...fonts,
  },
  dark: {
    background: 'oklch(0.145 0 0)', foreground: 'oklch(0.985 0 0)', card: 'oklch(0.205 0 0)', cardForeground: 'oklch(0.985 0 0)',
    muted: 'oklch(0.269 0 0)', mutedForeground: 'oklch(0.708 0 0)', primary: 'oklch(0.922 0 0)', primaryForeground: 'oklch(0.205 0 0)',
    secondary: 'oklch(0.269 0 0)', secondaryForeground: 'oklch(0.985 0 0)', accent: 'oklch(0.3 0.05 250)', border: 'oklch(1 0 0 / 10%)',
    input: 'oklch(1 0 0 / 15%)', ring: 'oklch(0.556 0 0)', destructive: 'oklch(0.704 0.191 22.2)', success: 'oklch(0.7 0.15 150)',
    warning: 'oklch(0.8 0.15 75)', info: 'oklch(0.7 0.13 250)', radius: '0.625rem', ...fonts,
  },
};

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `--background: oklch(...); ...` for one theme, to put under a selector. */
export function themeToCssVariables(tokens: ThemeTokens): string {
  return Object.entries(tokens).map(([k, v]) => `--${kebab(k)}: ${v};`).join(' ');
}

/** Both themes as a stylesheet: light on `:root`, dark on `.dark` (shadcn's convention). */
export function themeStylesheet(): string {
  return `:root { ${themeToCssVariables(themes.light)} }\n.dark { ${themeToCssVariables(themes.dark)} }\n`;
}

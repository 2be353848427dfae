import { defineProject } from 'vitest/config';

// The launcher test starts a real server, an X server, a D-Bus session and Chromium: give it time.
export default defineProject({ test: { name: 'desktop', include: ['test/**/*.test.ts'], testTimeout: 90_000, hookTimeout: 90_000 } });
